namespace SmartShare.Bencode;

/// <summary>
/// Bounds that keep decoding of untrusted input cheap: nesting depth, byte-string length, number of items
/// and integer digits. Exceeding any of them is a <see cref="BencodeFormatException"/>.
/// </summary>
public sealed class BencodeLimits
{
    /// <summary>The deepest nesting any limits may allow; the reader keeps its container stack inline up to this.</summary>
    public const int DepthCeiling = 64;

    /// <summary>The most digits an integer may have and still fit in a <see cref="long"/>.</summary>
    public const int IntegerDigitsCeiling = 19;

    private readonly int _maxDepth = 32;
    private readonly int _maxByteStringLength = 1024 * 1024;
    private readonly int _maxItems = 100_000;
    private readonly int _maxIntegerDigits = IntegerDigitsCeiling;

    /// <summary>Depth 32, byte strings up to 1 MiB, 100,000 items, 19 integer digits.</summary>
    public static BencodeLimits Default { get; } = new();

    /// <summary>How many lists and dictionaries may be open at once (1 to <see cref="DepthCeiling"/>).</summary>
    public int MaxDepth
    {
        get => _maxDepth;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, DepthCeiling);
            _maxDepth = value;
        }
    }

    /// <summary>The longest byte string accepted, in bytes.</summary>
    public int MaxByteStringLength
    {
        get => _maxByteStringLength;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _maxByteStringLength = value;
        }
    }

    /// <summary>How many values (integers, byte strings, lists, dictionaries, keys included) one input may hold.</summary>
    public int MaxItems
    {
        get => _maxItems;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _maxItems = value;
        }
    }

    /// <summary>The most digits an integer may have, sign excluded (1 to <see cref="IntegerDigitsCeiling"/>).</summary>
    public int MaxIntegerDigits
    {
        get => _maxIntegerDigits;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, IntegerDigitsCeiling);
            _maxIntegerDigits = value;
        }
    }
}
