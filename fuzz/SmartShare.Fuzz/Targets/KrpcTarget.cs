using SmartShare.BitTorrent.Dht;

namespace SmartShare.Fuzz.Targets;

/// <summary>A Mainline DHT (KRPC) datagram.</summary>
public static class KrpcTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = KrpcCodec.Decode(input);
        }
        catch (KrpcFormatException)
        {
        }
    }
}
