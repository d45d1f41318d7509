using SmartShare.Node.Reachability.Upnp;

namespace SmartShare.Fuzz.Targets;

/// <summary>The UPnP IGD client's decoders: an SSDP answer, a device description and a SOAP answer, as a LAN device could send them.</summary>
public static class UpnpTargets
{
    private static readonly Uri Location = new("http://10.77.1.1:33123/rootDesc.xml");

    public static void RunSsdp(byte[] input)
    {
        try
        {
            var answer = SsdpCodec.Parse(input);
            _ = SsdpCodec.IsAcceptableLocation(answer.Location, System.Net.IPAddress.Parse("10.77.1.1"));
        }
        catch (UpnpFormatException)
        {
        }
    }

    public static void RunDescription(byte[] input)
    {
        try
        {
            _ = UpnpDescription.Parse(input, Location);
        }
        catch (UpnpFormatException)
        {
        }
    }

    public static void RunSoap(byte[] input)
    {
        foreach (var action in (string[])["GetExternalIPAddress", "AddPortMapping"])
        {
            try
            {
                _ = UpnpSoap.ParseResponse(input, action);
            }
            catch (UpnpFormatException)
            {
            }
        }
    }
}
