namespace DryWet.Core;

/// <summary>An error a user can act on: the message says what was wrong, with the value, and what to do.</summary>
public class DryWetException : Exception
{
    public DryWetException(string message) : base(message) { }
    public DryWetException(string message, Exception inner) : base(message, inner) { }
}
