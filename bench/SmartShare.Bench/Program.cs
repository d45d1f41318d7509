using BenchmarkDotNet.Running;

namespace SmartShare.Bench;

/// <summary>
/// Micro-benchmarks of the LBRY stream building blocks. Pick them with BenchmarkDotNet's switches, e.g.
/// <c>dotnet run -c Release --project bench/SmartShare.Bench -- --filter '*BlobCrypto*'</c>.
/// The end-to-end share benchmark is <c>scripts/bench</c>.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
