using System.Diagnostics.CodeAnalysis;

namespace SmartShare.Bencode;

/// <summary>
/// A forward-only, zero-copy reader of one bencoded value, token by token, in the manner of
/// <c>Utf8JsonReader</c>. Every rule of the chosen <see cref="BencodeMode"/> and every <see cref="BencodeLimits"/>
/// bound is checked as tokens are read; any violation throws <see cref="BencodeFormatException"/>.
/// The input must hold exactly one value: after it, <see cref="Read"/> returns false at the end of the input and
/// throws on trailing bytes.
/// </summary>
public ref struct BencodeReader
{
    private readonly ReadOnlySpan<byte> _input;
    private readonly BencodeMode _mode;
    private readonly int _maxDepth;
    private readonly int _maxByteStringLength;
    private readonly int _maxItems;
    private readonly int _maxIntegerDigits;
    private ContainerFrameStack _frames;
    private int _depth;
    private int _position;
    private int _items;
    private bool _rootComplete;
    private BencodeTokenType _tokenType;
    private int _tokenStart;
    private int _valueStart;
    private int _valueLength;
    private long _integer;
    private bool _isDictionaryKey;

    public BencodeReader(ReadOnlySpan<byte> input, BencodeMode mode, BencodeLimits? limits = null)
    {
        limits ??= BencodeLimits.Default;
        _input = input;
        _mode = mode;
        _maxDepth = limits.MaxDepth;
        _maxByteStringLength = limits.MaxByteStringLength;
        _maxItems = limits.MaxItems;
        _maxIntegerDigits = limits.MaxIntegerDigits;
    }

    /// <summary>The token the reader is on; <see cref="BencodeTokenType.None"/> before the first <see cref="Read"/>.</summary>
    public readonly BencodeTokenType TokenType => _tokenType;

    /// <summary>The offset of the current token's first byte.</summary>
    public readonly int TokenStart => _tokenStart;

    /// <summary>The offset of the first byte not yet read.</summary>
    public readonly int BytesConsumed => _position;

    /// <summary>How many lists and dictionaries are open after the current token.</summary>
    public readonly int Depth => _depth;

    /// <summary>True when the current token is a dictionary key rather than a value.</summary>
    public readonly bool IsDictionaryKey => _isDictionaryKey;

    /// <summary>The offset of the current byte string's content, for slicing the input without a copy.</summary>
    public readonly int ValueStart => _tokenType == BencodeTokenType.ByteString ? _valueStart : ThrowNotOn(BencodeTokenType.ByteString);

    /// <summary>The current integer.</summary>
    public readonly long GetInteger() => _tokenType == BencodeTokenType.Integer ? _integer : ThrowNotOn(BencodeTokenType.Integer);

    /// <summary>The current byte string's content, a slice of the input.</summary>
    public readonly ReadOnlySpan<byte> GetBytes()
    {
        if (_tokenType != BencodeTokenType.ByteString)
        {
            ThrowNotOn(BencodeTokenType.ByteString);
        }

        return _input.Slice(_valueStart, _valueLength);
    }

    /// <summary>Moves to the next token. Returns false once the one value has been read and the input is used up.</summary>
    public bool Read()
    {
        if (_rootComplete)
        {
            if (_position < _input.Length)
            {
                Fail("Trailing bytes after the bencoded value", _position);
            }

            _tokenType = BencodeTokenType.None;
            _isDictionaryKey = false;
            return false;
        }

        if (_position >= _input.Length)
        {
            Fail(_input.IsEmpty ? "Empty input" : "Unexpected end of input", _position);
        }

        var start = _position;
        var isKey = _depth > 0 && _frames[_depth - 1].IsDictionary && _frames[_depth - 1].ExpectsKey;
        _tokenStart = start;
        _isDictionaryKey = isKey;
        var lead = _input[start];
        switch (lead)
        {
            case (byte)'e':
                ReadEnd(start);
                return true;
            case (byte)'i':
                CountItem(start);
                ReadInteger(start);
                break;
            case (byte)'l':
            case (byte)'d':
                if (isKey)
                {
                    Fail("A dictionary key cannot be a list or dictionary", start);
                }

                CountItem(start);
                OpenContainer(start, lead == (byte)'d');
                return true;
            case >= (byte)'0' and <= (byte)'9':
                CountItem(start);
                ReadByteString(start);
                break;
            default:
                Fail($"Unexpected byte 0x{lead:x2} where a value should start", start);
                break;
        }

        if (isKey)
        {
            AcceptKey(start);
        }
        else
        {
            CompleteValue();
        }

        return true;
    }

    /// <summary>
    /// Skips what the current token owns: on a key, the key's value; on a list or dictionary start, everything up to
    /// and including its end. On a scalar value or an end it does nothing. Skipped bytes are still fully checked.
    /// </summary>
    public void Skip()
    {
        if (_isDictionaryKey)
        {
            Read();
        }

        if (_tokenType is not (BencodeTokenType.ListStart or BencodeTokenType.DictionaryStart))
        {
            return;
        }

        var outerDepth = _depth - 1;
        while (Read() && !(_tokenType == BencodeTokenType.End && _depth == outerDepth))
        {
        }
    }

    private void ReadEnd(int start)
    {
        if (_depth == 0)
        {
            Fail("End marker 'e' with no open list or dictionary", start);
        }

        ref var frame = ref _frames[_depth - 1];
        if (frame.IsDictionary && !frame.ExpectsKey)
        {
            Fail("Dictionary ends after a key that has no value", start);
        }

        if (frame.KeysOutOfOrder)
        {
            DuplicateKeyScan.ThrowIfAnyKeyRepeats(_input, frame.ContentStart, start, _mode);
        }

        _depth--;
        _position = start + 1;
        _tokenType = BencodeTokenType.End;
        _isDictionaryKey = false;
        CompleteValue();
    }

    private void OpenContainer(int start, bool isDictionary)
    {
        if (_depth >= _maxDepth)
        {
            Fail($"Nesting deeper than {_maxDepth} levels", start);
        }

        ref var frame = ref _frames[_depth];
        frame = default;
        frame.IsDictionary = isDictionary;
        frame.ExpectsKey = isDictionary;
        frame.ContentStart = start + 1;
        _depth++;
        _position = start + 1;
        _tokenType = isDictionary ? BencodeTokenType.DictionaryStart : BencodeTokenType.ListStart;
    }

    private void ReadInteger(int start)
    {
        var position = start + 1;
        var negative = position < _input.Length && _input[position] == (byte)'-';
        if (negative)
        {
            position++;
        }

        var firstDigit = position;
        ulong magnitude = 0;
        while (true)
        {
            if (position >= _input.Length)
            {
                Fail("Unexpected end of input inside an integer", position);
            }

            var b = _input[position];
            if (b == (byte)'e')
            {
                break;
            }

            var digit = (uint)(b - '0');
            if (digit > 9)
            {
                Fail($"Unexpected byte 0x{b:x2} inside an integer", position);
            }

            if (position - firstDigit >= _maxIntegerDigits)
            {
                Fail($"Integer has more than {_maxIntegerDigits} digits", start);
            }

            // At most 19 digits, so the magnitude cannot overflow a ulong.
            magnitude = (magnitude * 10) + digit;
            position++;
        }

        var digitCount = position - firstDigit;
        if (digitCount == 0)
        {
            Fail("Integer has no digits", start);
        }

        if (_input[firstDigit] == (byte)'0')
        {
            if (negative)
            {
                Fail("Integer is negative zero or has a leading zero", start);
            }

            if (digitCount > 1)
            {
                Fail("Integer has a leading zero", start);
            }
        }

        if (!BencodeKeyOrder.TryApplySign(magnitude, negative, out _integer))
        {
            Fail("Integer does not fit in 64 bits", start);
        }

        _position = position + 1;
        _tokenType = BencodeTokenType.Integer;
    }

    private void ReadByteString(int start)
    {
        var position = start;
        long length = 0;
        while (true)
        {
            if (position >= _input.Length)
            {
                Fail("Unexpected end of input inside a byte-string length", position);
            }

            var b = _input[position];
            if (b == (byte)':')
            {
                break;
            }

            var digit = (uint)(b - '0');
            if (digit > 9)
            {
                Fail($"Unexpected byte 0x{b:x2} inside a byte-string length", position);
            }

            // Ten digits already exceed any int, so stop before the running value can overflow.
            if (position - start >= 10)
            {
                Fail("Byte-string length is too large", start);
            }

            length = (length * 10) + digit;
            position++;
        }

        if (_input[start] == (byte)'0' && position - start > 1)
        {
            Fail("Byte-string length has a leading zero", start);
        }

        if (length > _maxByteStringLength)
        {
            Fail($"Byte string of {length} bytes exceeds the limit of {_maxByteStringLength}", start);
        }

        var contentStart = position + 1;
        if (length > _input.Length - contentStart)
        {
            Fail($"Byte string of {length} bytes runs past the end of input ({_input.Length - contentStart} bytes remain)", start);
        }

        _valueStart = contentStart;
        _valueLength = (int)length;
        _position = contentStart + (int)length;
        _tokenType = BencodeTokenType.ByteString;
    }

    private void AcceptKey(int start)
    {
        ref var frame = ref _frames[_depth - 1];
        frame.ExpectsKey = false;
        bool isInteger;
        long integer;
        int keyStart;
        int keyLength;
        if (_tokenType == BencodeTokenType.Integer)
        {
            if (_mode == BencodeMode.Strict)
            {
                Fail("Dictionary key must be a byte string in strict mode", start);
            }

            isInteger = true;
            integer = _integer;
            keyStart = start;
            keyLength = 0;
        }
        else
        {
            keyStart = _valueStart;
            keyLength = _valueLength;
            isInteger = BencodeKeyOrder.TryReadAsInteger(_mode, _input.Slice(keyStart, keyLength), out integer);
        }

        if (frame.HasPreviousKey && !frame.KeysOutOfOrder)
        {
            var order = BencodeKeyOrder.Compare(
                frame.PreviousKeyIsInteger, frame.PreviousKeyInteger, _input.Slice(frame.PreviousKeyStart, frame.PreviousKeyLength),
                isInteger, integer, _input.Slice(keyStart, keyLength));
            if (order == 0)
            {
                Fail("Duplicate dictionary key", start);
            }

            if (order > 0)
            {
                if (_mode == BencodeMode.Strict)
                {
                    Fail("Dictionary keys are not in increasing byte order", start);
                }

                frame.KeysOutOfOrder = true;
            }
        }

        frame.HasPreviousKey = true;
        frame.PreviousKeyIsInteger = isInteger;
        frame.PreviousKeyInteger = integer;
        frame.PreviousKeyStart = keyStart;
        frame.PreviousKeyLength = keyLength;
    }

    private void CompleteValue()
    {
        if (_depth == 0)
        {
            _rootComplete = true;
            return;
        }

        ref var frame = ref _frames[_depth - 1];
        if (frame.IsDictionary)
        {
            frame.ExpectsKey = true;
        }
    }

    private void CountItem(int start)
    {
        if (++_items > _maxItems)
        {
            Fail($"More than {_maxItems} items", start);
        }
    }

    [DoesNotReturn]
    private static void Fail(string reason, int offset) => throw new BencodeFormatException(reason, offset);

    [DoesNotReturn]
    private readonly int ThrowNotOn(BencodeTokenType expected) =>
        throw new InvalidOperationException($"The reader is on a {_tokenType} token, not {expected}.");
}
