using DryWet.Core.Imaging;
using DryWet.Serving.Admission;

namespace DryWet.Tests.Serving;

/// <summary>
/// The process-wide decode budget (Core, shared with the web; serving refuses with <see cref="DecodeRefusals.ServerBusy"/>): reservations are granted while memory and a slot are free, waiters are served first
/// come first served, a wait past the timeout or past the waiter bound is a 503-worthy <see cref="ServerBusyException"/>,
/// and every reservation is given back exactly once however the request ends.
/// </summary>
public sealed class DecodeBudgetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_reservation_within_the_budget_is_granted_at_once_and_given_back_once_on_dispose()
    {
        var budget = new DecodeBudget(1000, slots: 4, maxWaiters: 4, TimeSpan.FromSeconds(30), DecodeRefusals.ServerBusy);

        var reservation = await budget.ReserveAsync(600, Ct);
        budget.ReservedBytes.ShouldBe(600);
        reservation.Dispose();
        reservation.Dispose();

        budget.ReservedBytes.ShouldBe(0);
        (await budget.ReserveAsync(1000, Ct)).Dispose();
        budget.ReservedBytes.ShouldBe(0);
    }

    [Fact]
    public async Task A_waiter_gets_the_memory_when_it_is_given_back()
    {
        var budget = new DecodeBudget(1000, slots: 4, maxWaiters: 4, TimeSpan.FromSeconds(30), DecodeRefusals.ServerBusy);
        var first = await budget.ReserveAsync(800, Ct);

        var second = budget.ReserveAsync(500, Ct).AsTask();
        second.IsCompleted.ShouldBeFalse();
        budget.Waiting.ShouldBe(1);

        first.Dispose();
        using var granted = await second;
        budget.ReservedBytes.ShouldBe(500);
        budget.Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task Waiters_are_served_in_arrival_order_so_a_large_image_is_not_starved_by_small_ones()
    {
        var budget = new DecodeBudget(1000, slots: 4, maxWaiters: 4, TimeSpan.FromSeconds(30), DecodeRefusals.ServerBusy);
        var held = await budget.ReserveAsync(600, Ct);

        var large = budget.ReserveAsync(900, Ct).AsTask();
        // 400 bytes are free, but the large image came first: the small one queues behind it.
        var small = budget.ReserveAsync(200, Ct).AsTask();
        small.IsCompleted.ShouldBeFalse();

        held.Dispose();
        using (await large)
        {
            small.IsCompleted.ShouldBeFalse();
        }

        using var _ = await small;
        budget.ReservedBytes.ShouldBe(200);
    }

    [Fact]
    public async Task The_slot_count_bounds_concurrent_decodes_even_when_memory_is_free()
    {
        var budget = new DecodeBudget(1000, slots: 1, maxWaiters: 4, TimeSpan.FromSeconds(30), DecodeRefusals.ServerBusy);
        var first = await budget.ReserveAsync(10, Ct);

        var second = budget.ReserveAsync(10, Ct).AsTask();
        second.IsCompleted.ShouldBeFalse();

        first.Dispose();
        (await second).Dispose();
        budget.ReservedBytes.ShouldBe(0);
    }

    [Fact]
    public async Task A_wait_past_the_timeout_is_shed_as_busy_and_leaves_nothing_reserved_or_queued()
    {
        var budget = new DecodeBudget(1000, slots: 4, maxWaiters: 4, TimeSpan.FromMilliseconds(50), DecodeRefusals.ServerBusy);
        var held = await budget.ReserveAsync(1000, Ct);

        var error = await Should.ThrowAsync<ServerBusyException>(() => budget.ReserveAsync(1, Ct).AsTask());

        error.Reason.ShouldBe(RejectionReasons.DecodeMemoryTimeout);
        error.Message.ShouldContain("Serving:DecodeMemoryBudgetMB");
        budget.Waiting.ShouldBe(0);
        held.Dispose();
        budget.ReservedBytes.ShouldBe(0);
    }

    [Fact]
    public async Task More_waiters_than_allowed_are_shed_at_once()
    {
        var budget = new DecodeBudget(1000, slots: 4, maxWaiters: 2, TimeSpan.FromSeconds(30), DecodeRefusals.ServerBusy);
        var held = await budget.ReserveAsync(1000, Ct);
        var waiting = new[] { budget.ReserveAsync(1, Ct).AsTask(), budget.ReserveAsync(1, Ct).AsTask() };

        var error = await Should.ThrowAsync<ServerBusyException>(() => budget.ReserveAsync(1, Ct).AsTask());

        error.Reason.ShouldBe(RejectionReasons.DecodeQueueFull);
        error.Message.ShouldContain("Serving:MaxQueuedRequests");
        held.Dispose();
        foreach (var reservation in await Task.WhenAll(waiting))
        {
            reservation.Dispose();
        }

        budget.ReservedBytes.ShouldBe(0);
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue_and_the_next_one_is_served()
    {
        var budget = new DecodeBudget(1000, slots: 4, maxWaiters: 4, TimeSpan.FromSeconds(30), DecodeRefusals.ServerBusy);
        var held = await budget.ReserveAsync(700, Ct);
        using var cancel = new CancellationTokenSource();
        var cancelled = budget.ReserveAsync(900, cancel.Token).AsTask();
        var behind = budget.ReserveAsync(300, Ct).AsTask();

        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => cancelled);
        // The cancelled head no longer blocks the waiter behind it: 300 bytes fit beside the 700 held.
        using (await behind)
        {
            budget.ReservedBytes.ShouldBe(1000);
        }

        held.Dispose();
        budget.ReservedBytes.ShouldBe(0);
        budget.Waiting.ShouldBe(0);
    }
}
