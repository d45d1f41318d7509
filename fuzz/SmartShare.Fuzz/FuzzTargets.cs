using SmartShare.Fuzz.Targets;

namespace SmartShare.Fuzz;

/// <summary>
/// Every target by name. A target feeds the bytes to one decoder and catches only that decoder's typed format
/// exception: anything else escapes and is a crash.
/// </summary>
public static class FuzzTargets
{
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new SortedDictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["bencode-strict"] = BencodeStrictTarget.Run,
        ["bencode-lbry"] = BencodeLbryTarget.Run,
        ["krpc"] = KrpcTarget.Run,
        ["lbry-dht"] = LbryDhtTarget.Run,
        ["metainfo"] = MetainfoTarget.Run,
        ["magnet"] = MagnetTarget.Run,
        ["smartshare-file"] = SmartShareFileTarget.Run,
        ["smartshare-link"] = SmartShareLinkTarget.Run,
        ["stream-descriptor"] = StreamDescriptorTarget.Run,
        ["byte-range"] = ByteRangeTarget.Run,
        ["http-tracker"] = HttpTrackerTarget.Run,
        ["udp-tracker"] = UdpTrackerTarget.Run,
        ["peer-wire"] = PeerWireTarget.Run,
        ["handshake"] = HandshakeTarget.Run,
        ["extension-handshake"] = ExtensionHandshakeTarget.Run,
        ["ut-metadata"] = UtMetadataTarget.Run,
        ["ut-pex"] = UtPexTarget.Run,
        ["blob-request"] = BlobRequestTarget.Run,
        ["blob-response"] = BlobResponseTarget.Run,
    };

    /// <summary>Runs <paramref name="target"/> over every file of <paramref name="folder"/>; one line per input that crashed.</summary>
    public static IReadOnlyList<string> Replay(Action<byte[]> target, string folder)
    {
        ArgumentNullException.ThrowIfNull(target);
        var failures = new List<string>();
        foreach (var path in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            try
            {
                target(File.ReadAllBytes(path));
            }
#pragma warning disable CA1031 // Any exception that escapes a target is the finding to report.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures.Add($"{Path.GetFileName(path)}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        return failures;
    }
}
