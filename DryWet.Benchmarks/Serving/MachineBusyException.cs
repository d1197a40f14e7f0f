namespace DryWet.Benchmarks.Serving;

/// <summary>A round refused because the machine was busy (<see cref="LoadGuard"/>): the run stops with exit code 3.</summary>
internal sealed class MachineBusyException(string message) : Exception(message);
