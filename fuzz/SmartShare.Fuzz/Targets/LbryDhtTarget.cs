using SmartShare.Lbry.Dht;

namespace SmartShare.Fuzz.Targets;

/// <summary>An LBRY DHT datagram.</summary>
public static class LbryDhtTarget
{
    public static void Run(byte[] input)
    {
        try
        {
            _ = DhtDatagramCodec.Decode(input);
        }
        catch (DhtDatagramException)
        {
        }
    }
}
