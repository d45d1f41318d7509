using SharpFuzz;

namespace SmartShare.Fuzz;

/// <summary>
/// <c>SmartShare.Fuzz TARGET</c> runs one target under afl-fuzz (SharpFuzz's fork server);
/// <c>SmartShare.Fuzz TARGET --replay DIR</c> runs it in-process over every file of a folder, without afl.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
        {
            Console.Error.WriteLine("usage: SmartShare.Fuzz TARGET [--replay DIR]");
            Console.Error.WriteLine("targets: " + string.Join(' ', FuzzTargets.All.Keys));
            return 2;
        }

        if (args.Length == 3 && args[1] == "--replay")
        {
            var failures = FuzzTargets.Replay(target, args[2]);
            foreach (var failure in failures)
            {
                Console.Error.WriteLine(failure);
            }

            return failures.Count == 0 ? 0 : 1;
        }

        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: SmartShare.Fuzz TARGET [--replay DIR]");
            return 2;
        }

        // Out of process: a stack overflow or a hang kills only the child, and afl still hears of it.
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            FuzzTargets.RunBounded(target, buffer.ToArray());
        });
        return 0;
    }
}
