namespace SmartShare.Lbry.Tests.Support;

/// <summary>
/// Tests that read process-wide counters (allocated bytes) run alone, after the parallel ones, so no other
/// test's work is counted against them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedTests
{
    public const string Name = "Isolated";
}
