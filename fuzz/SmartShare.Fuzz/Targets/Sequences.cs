using System.Buffers;

namespace SmartShare.Fuzz.Targets;

/// <summary>Readers of network buffers see data in segments; the targets cut the input in two so both paths run.</summary>
internal static class Sequences
{
    public static ReadOnlySequence<byte> TwoSegments(byte[] input)
    {
        if (input.Length < 2)
        {
            return new ReadOnlySequence<byte>(input);
        }

        var middle = input.Length / 2;
        var first = new Segment(input.AsMemory(0, middle), 0);
        var second = first.Append(input.AsMemory(middle));
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
