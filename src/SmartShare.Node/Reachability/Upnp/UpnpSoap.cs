using System.Globalization;
using System.Text;
using System.Xml;

namespace SmartShare.Node.Reachability.Upnp;

/// <summary>A SOAP answer: the action's out arguments, or the UPnP error the router gave.</summary>
/// <param name="Arguments">The out arguments by name (empty for a fault).</param>
/// <param name="IsFault">True when the answer is a SOAP fault.</param>
/// <param name="ErrorCode">The UPnPError errorCode of a fault, when it gave one.</param>
/// <param name="ErrorDescription">The UPnPError errorDescription of a fault, when it gave one.</param>
public sealed record UpnpSoapResponse(IReadOnlyDictionary<string, string> Arguments, bool IsFault, int? ErrorCode, string? ErrorDescription);

/// <summary>
/// Writes UPnP control requests (SOAP 1.1 envelopes, values escaped by the XML writer) and reads the answers:
/// an <c>{Action}Response</c> element's arguments or a fault's UPnPError. Answers are read with no DTD and at most
/// <see cref="MaxResponseBytes"/> bytes and <see cref="MaxArguments"/> arguments; anything else is an
/// <see cref="UpnpFormatException"/>.
/// </summary>
public static class UpnpSoap
{
    /// <summary>The largest answer read; a real one is under a kilobyte.</summary>
    public const int MaxResponseBytes = 64 * 1024;

    /// <summary>The most out arguments an answer may carry.</summary>
    public const int MaxArguments = 32;

    /// <summary>The longest argument value or error description kept.</summary>
    public const int MaxValueLength = 1024;

    private const string EnvelopeNamespace = "http://schemas.xmlsoap.org/soap/envelope/";
    private const string EncodingStyle = "http://schemas.xmlsoap.org/soap/encoding/";

    /// <summary>The value of the SOAPAction header for <paramref name="action"/>.</summary>
    public static string ActionHeader(string serviceType, string action) => $"\"{serviceType}#{action}\"";

    /// <summary>The request envelope for <paramref name="action"/> with its in arguments, in the order given.</summary>
    public static string BuildRequest(string serviceType, string action, IReadOnlyList<KeyValuePair<string, string>> arguments)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceType);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        ArgumentNullException.ThrowIfNull(arguments);
        // The declaration is written by hand: a writer over a string would declare utf-16, and the body goes out as UTF-8.
        var text = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        var settings = new XmlWriterSettings { OmitXmlDeclaration = true, Indent = false };
        using (var writer = XmlWriter.Create(new StringWriter(text, CultureInfo.InvariantCulture), settings))
        {
            writer.WriteStartElement("s", "Envelope", EnvelopeNamespace);
            writer.WriteAttributeString("s", "encodingStyle", EnvelopeNamespace, EncodingStyle);
            writer.WriteStartElement("s", "Body", EnvelopeNamespace);
            writer.WriteStartElement("u", action, serviceType);
            foreach (var (name, value) in arguments)
            {
                // A full end tag even for an empty value: some routers' parsers do not take <NewRemoteHost/>.
                writer.WriteStartElement(name);
                writer.WriteString(value);
                writer.WriteFullEndElement();
            }

            writer.WriteEndElement();
            writer.WriteEndElement();
            writer.WriteEndElement();
        }

        return text.ToString();
    }

    /// <summary>Reads the answer to <paramref name="action"/>.</summary>
    /// <exception cref="UpnpFormatException">The body is not a SOAP answer to this action nor a fault, or breaks a bound.</exception>
    public static UpnpSoapResponse ParseResponse(ReadOnlySpan<byte> body, string action)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        if (body.Length > MaxResponseBytes)
        {
            throw new UpnpFormatException($"The SOAP answer is {body.Length} bytes, over the {MaxResponseBytes}-byte limit.");
        }

        try
        {
            using var reader = UpnpXml.Open(body);
            if (!reader.ReadToFollowing("Body", EnvelopeNamespace) || reader.IsEmptyElement)
            {
                throw new UpnpFormatException("The SOAP answer has no Body.");
            }

            var bodyDepth = reader.Depth;
            while (reader.Read() && reader.Depth > bodyDepth)
            {
                if (reader.NodeType != XmlNodeType.Element)
                {
                    continue;
                }

                if (reader.LocalName == action + "Response")
                {
                    return new UpnpSoapResponse(ReadArguments(reader), IsFault: false, null, null);
                }

                if (reader.LocalName == "Fault" && reader.NamespaceURI == EnvelopeNamespace)
                {
                    return ReadFault(reader);
                }

                throw new UpnpFormatException($"The SOAP answer holds {Shorten(reader.LocalName)}, not {action}Response or a Fault.");
            }

            throw new UpnpFormatException("The SOAP answer's Body is empty.");
        }
        catch (XmlException ex)
        {
            throw new UpnpFormatException($"The SOAP answer is not well-formed XML: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new UpnpFormatException($"The SOAP answer could not be read: {ex.Message}", ex);
        }
    }

    private static Dictionary<string, string> ReadArguments(XmlReader reader)
    {
        var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reader.IsEmptyElement)
        {
            return arguments;
        }

        var depth = reader.Depth;
        reader.Read();
        while (!reader.EOF && reader.Depth > depth)
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                reader.Read();
                continue;
            }

            if (arguments.Count >= MaxArguments)
            {
                throw new UpnpFormatException($"The SOAP answer carries more than {MaxArguments} arguments.");
            }

            var name = reader.LocalName;
            var value = ReadValue(reader);
            if (!arguments.TryAdd(name, value))
            {
                throw new UpnpFormatException($"The SOAP answer carries the argument {Shorten(name)} twice.");
            }
        }

        return arguments;
    }

    private static UpnpSoapResponse ReadFault(XmlReader reader)
    {
        int? code = null;
        string? description = null;
        if (reader.IsEmptyElement)
        {
            return new UpnpSoapResponse(new Dictionary<string, string>(), IsFault: true, null, null);
        }

        var depth = reader.Depth;
        reader.Read();
        while (!reader.EOF && reader.Depth > depth)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "errorCode")
            {
                var text = ReadValue(reader);
                code = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed <= 9999
                    ? parsed
                    : throw new UpnpFormatException("The SOAP fault's errorCode is not a number from 0 to 9999.");
            }
            else if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "errorDescription")
            {
                description = ReadValue(reader);
            }
            else
            {
                reader.Read();
            }
        }

        return new UpnpSoapResponse(new Dictionary<string, string>(), IsFault: true, code, description);
    }

    private static string ReadValue(XmlReader reader)
    {
        var value = reader.ReadElementContentAsString().Trim();
        return value.Length <= MaxValueLength ? value : throw new UpnpFormatException($"A SOAP value is over {MaxValueLength} characters.");
    }

    private static string Shorten(string name) => name.Length <= 64 ? name : name[..64] + "…";
}
