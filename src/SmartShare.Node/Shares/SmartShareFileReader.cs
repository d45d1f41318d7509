using System.Text.Json;
using System.Text.Unicode;
using SmartShare.IO;
using SmartShare.Lbry.Blobs;

namespace SmartShare.Node.Shares;

/// <summary>
/// Reads a .smartshare file from a local path a user or an API caller names. The file must be a regular file within
/// <see cref="SmartShareCodec.MaxFileBytes"/>; when it does not parse, the sentence says what kind of wrong it is in
/// our own words and never quotes the file, so the API cannot be used to read local files through its errors.
/// </summary>
public static class SmartShareFileReader
{
    private const string GenericProblem =
        "a field it needs (format version, name, size, sd hash, embedded sd blob, contacts, bittorrent …) is missing, of the wrong type or out of range";

    /// <summary>The parsed file.</summary>
    /// <exception cref="LocalFileException">The path is not a regular file, cannot be read or is too large.</exception>
    /// <exception cref="SmartShareFormatException">The file is not a valid .smartshare file; the message quotes nothing from it.</exception>
    public static SmartShareFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = LocalFile.ReadAllWithin(path, SmartShareCodec.MaxFileBytes, "a .smartshare file");
        SmartShareFile file;
        try
        {
            file = SmartShareJson.Read(bytes);
        }
        catch (SmartShareFormatException ex)
        {
            // No inner exception: the codec's message may quote the file.
            throw new SmartShareFormatException($"\"{path}\" is not a .smartshare file: {Problem(bytes, ex)}.");
        }

        try
        {
            SmartShareCodec.Validate(file);
            return file;
        }
        catch (SmartShareFormatException)
        {
            throw new SmartShareFormatException(file.SdBlob is { } sdBlob && BlobHash.Compute(sdBlob) != file.SdHash
                ? $"\"{path}\" is not a valid .smartshare file: its embedded sd blob does not hash to its sd hash, so it was altered or damaged."
                : $"\"{path}\" is not a .smartshare file: {GenericProblem}.");
        }
    }

    private static string Problem(ReadOnlySpan<byte> bytes, SmartShareFormatException ex)
    {
        if (bytes.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..];
        }

        if (!Utf8.IsValid(bytes))
        {
            return "it is not UTF-8 text";
        }

        if (bytes.Trim(" \t\r\n"u8).IsEmpty)
        {
            return "it is empty";
        }

        if (ex.InnerException is JsonException)
        {
            return EndsEarly(bytes) ? "it ends in the middle of its JSON, so it was cut short (copied or downloaded only in part?)" : "it is not valid JSON";
        }

        try
        {
            using var document = JsonDocument.Parse(bytes.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "it is JSON, but not a JSON object";
            }

            if (!root.TryGetProperty("smartshare", out var version))
            {
                return "it has no \"smartshare\" format version field";
            }

            if (version.ValueKind == JsonValueKind.Number && version.TryGetInt64(out var number) && number > SmartShareFile.CurrentVersion)
            {
                return "it is of a newer format version than this SmartShare reads; update SmartShare";
            }
        }
        catch (JsonException)
        {
            return "it is not valid JSON";
        }

        return GenericProblem;
    }

    // True when the bytes are well-formed JSON as far as they go but stop before the value is complete.
    private static bool EndsEarly(ReadOnlySpan<byte> bytes)
    {
        var reader = new Utf8JsonReader(bytes, isFinalBlock: false, state: default);
        try
        {
            while (reader.Read())
            {
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return reader.BytesConsumed < bytes.Length || reader.CurrentDepth > 0 || reader.TokenType == JsonTokenType.None;
    }
}
