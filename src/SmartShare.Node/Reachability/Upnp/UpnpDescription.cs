using System.Text;
using System.Xml;

namespace SmartShare.Node.Reachability.Upnp;

/// <summary>The router's WAN connection service: the service type the SOAP actions name and the URL they are posted to.</summary>
public sealed record UpnpControlPoint(string ServiceType, Uri ControlUrl);

/// <summary>
/// Reads a UPnP device description (the XML at an SSDP LOCATION) and picks the service that maps ports:
/// WANIPConnection:2, else WANIPConnection:1, else WANPPPConnection:1, wherever it sits in the device tree.
/// The XML comes from a LAN device, so it is read with no DTD, no external entity, at most
/// <see cref="MaxDocumentCharacters"/> characters and <see cref="MaxServices"/> services; the control URL must be
/// http on the host that served the description. Anything else is an <see cref="UpnpFormatException"/>.
/// </summary>
public static class UpnpDescription
{
    /// <summary>The largest description read, in bytes (and characters); a router's is a few kilobytes.</summary>
    public const int MaxDocumentCharacters = 64 * 1024;

    /// <summary>The most service entries read before the description is refused.</summary>
    public const int MaxServices = 64;

    /// <summary>The longest service type or URL accepted.</summary>
    public const int MaxValueLength = 512;

    private static readonly string[] Preferred =
    [
        "urn:schemas-upnp-org:service:WANIPConnection:2",
        "urn:schemas-upnp-org:service:WANIPConnection:1",
        "urn:schemas-upnp-org:service:WANPPPConnection:1",
    ];

    /// <summary>The port-mapping service of the description at <paramref name="location"/>.</summary>
    /// <exception cref="UpnpFormatException">The XML is malformed, too large, holds no WAN connection service, or its control URL points elsewhere.</exception>
    public static UpnpControlPoint Parse(ReadOnlySpan<byte> xml, Uri location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (xml.Length > MaxDocumentCharacters)
        {
            throw new UpnpFormatException($"The device description is {xml.Length} bytes, over the {MaxDocumentCharacters}-byte limit.");
        }

        string? urlBase = null;
        var services = new List<(string Type, string Control)>();
        try
        {
            using var reader = UpnpXml.Open(xml);
            string? type = null, control = null;
            var serviceDepth = -1;
            var positioned = false;
            while (positioned || reader.Read())
            {
                // Reading a value moves past its end tag onto the next node, which the loop must not skip.
                positioned = false;
                if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == serviceDepth)
                {
                    if (type is not null && control is not null)
                    {
                        services.Add((type, control));
                    }

                    (type, control, serviceDepth) = (null, null, -1);
                    continue;
                }

                if (reader.NodeType != XmlNodeType.Element)
                {
                    continue;
                }

                switch (reader.LocalName)
                {
                    case "service" when !reader.IsEmptyElement:
                        if (services.Count >= MaxServices)
                        {
                            throw new UpnpFormatException($"The device description lists more than {MaxServices} services.");
                        }

                        (type, control, serviceDepth) = (null, null, reader.Depth);
                        break;
                    case "serviceType" when serviceDepth >= 0 && reader.Depth == serviceDepth + 1:
                        type = ReadValue(reader);
                        positioned = true;
                        break;
                    case "controlURL" when serviceDepth >= 0 && reader.Depth == serviceDepth + 1:
                        control = ReadValue(reader);
                        positioned = true;
                        break;
                    case "URLBase" when reader.Depth == 1:
                        urlBase = ReadValue(reader);
                        positioned = true;
                        break;
                }
            }
        }
        catch (XmlException ex)
        {
            throw new UpnpFormatException($"The device description is not well-formed XML: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new UpnpFormatException($"The device description could not be read: {ex.Message}", ex);
        }

        foreach (var wanted in Preferred)
        {
            foreach (var (type, control) in services)
            {
                if (type == wanted)
                {
                    return new UpnpControlPoint(type, ResolveControlUrl(control, urlBase, location));
                }
            }
        }

        throw new UpnpFormatException("The device description lists no WANIPConnection or WANPPPConnection service.");
    }

    /// <summary>
    /// Resolves <paramref name="controlUrl"/> against URLBase (when it names the same host) or the description's own
    /// URL; the result must be http on the host that served the description.
    /// </summary>
    public static Uri ResolveControlUrl(string controlUrl, string? urlBase, Uri location)
    {
        ArgumentNullException.ThrowIfNull(controlUrl);
        ArgumentNullException.ThrowIfNull(location);
        var baseUri = location;
        if (urlBase is { Length: > 0 }
            && Uri.TryCreate(urlBase, UriKind.Absolute, out var declared)
            && declared.Scheme == Uri.UriSchemeHttp
            && SameHost(declared, location))
        {
            baseUri = declared;
        }

        if (controlUrl.Length == 0 || !Uri.TryCreate(baseUri, controlUrl, out var resolved))
        {
            throw new UpnpFormatException("The WAN connection service's control URL is empty or not a URL.");
        }

        if (resolved.Scheme != Uri.UriSchemeHttp || !SameHost(resolved, location) || resolved.UserInfo.Length > 0)
        {
            throw new UpnpFormatException("The WAN connection service's control URL is not http on the router that served the description.");
        }

        return resolved;
    }

    private static bool SameHost(Uri a, Uri b) => string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase);

    private static string ReadValue(XmlReader reader)
    {
        var value = reader.ReadElementContentAsString().Trim();
        return value.Length <= MaxValueLength ? value : throw new UpnpFormatException($"A device description value is over {MaxValueLength} characters.");
    }
}

/// <summary>The reader settings every UPnP XML document is read with: no DTD, no resolver, bounded size.</summary>
internal static class UpnpXml
{
    /// <summary>
    /// A reader over a UPnP document, decoded as UTF-8 (UPnP's encoding; bytes UTF-8 cannot read become U+FFFD).
    /// Reading text rather than bytes keeps the XML reader from switching encodings on the document's word: .NET's
    /// reader threw ArgumentOutOfRangeException, not XmlException, when an XML declaration was followed by bytes
    /// its new encoding could not read (found by the fuzzing campaign, input in fuzz/corpus/upnp-soap).
    /// </summary>
    public static XmlReader Open(ReadOnlySpan<byte> document)
    {
        var bom = Encoding.UTF8.Preamble;
        var text = Encoding.UTF8.GetString(document.StartsWith(bom) ? document[bom.Length..] : document);
        return XmlReader.Create(new StringReader(text), Settings);
    }

    public static XmlReaderSettings Settings { get; } = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = UpnpDescription.MaxDocumentCharacters,
        MaxCharactersFromEntities = 0,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = true,
    };
}
