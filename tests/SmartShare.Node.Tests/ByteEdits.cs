using FsCheck;
using FsCheck.Fluent;

namespace SmartShare.Node.Tests;

/// <summary>Random edits of encoded input for the decoders' property tests: one generator, each test its own bytes that matter.</summary>
internal static class ByteEdits
{
    /// <summary>One random edit: flip a bit, insert, delete, or overwrite with any byte or one of <paramref name="special"/>.</summary>
    public static Gen<Func<byte[], byte[]>> Edit(params char[] special) =>
        from kind in Gen.Choose(0, 3)
        from position in Gen.Choose(0, int.MaxValue)
        from value in Gen.OneOf(Gen.Choose(0, 255), Gen.Elements(special.Select(c => (int)c).ToArray()))
        select (Func<byte[], byte[]>)(bytes =>
        {
            var list = bytes.ToList();
            var at = list.Count == 0 ? 0 : position % list.Count;
            switch (kind)
            {
                case 0 when list.Count > 0:
                    list[at] ^= (byte)(1 << (value % 8));
                    break;
                case 1:
                    list.Insert(at, (byte)value);
                    break;
                case 2 when list.Count > 0:
                    list.RemoveAt(at);
                    break;
                case 3 when list.Count > 0:
                    list[at] = (byte)value;
                    break;
            }

            return [.. list];
        });
}
