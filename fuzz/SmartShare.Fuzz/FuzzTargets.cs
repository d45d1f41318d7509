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
        ["lan-announce"] = LanAnnounceTarget.Run,
        ["utp"] = UtpTarget.Run,
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
        ["mse-responder"] = MseTargets.RunResponder,
        ["mse-initiator"] = MseTargets.RunInitiator,
        ["upnp-ssdp"] = UpnpTargets.RunSsdp,
        ["upnp-description"] = UpnpTargets.RunDescription,
        ["upnp-soap"] = UpnpTargets.RunSoap,
        ["nat-pmp"] = NatPmpTarget.Run,
        ["transmission-rpc"] = TransmissionRpcTarget.Run,
        ["json-rpc"] = JsonRpcTarget.Run,
    };

    /// <summary>Bytes one input may make a decoder allocate: a fixed allowance plus a multiple of its length.</summary>
    public const long AllocationAllowance = 64L << 20;

    /// <summary>Allocation allowed per input byte on top of <see cref="AllocationAllowance"/>.</summary>
    public const int AllocationPerInputByte = 64;

    /// <summary>
    /// Runs <paramref name="target"/> on <paramref name="input"/> and fails if it allocated more than the memory
    /// bound, so "memory bounded" is part of the oracle and not only "no other exception".
    /// </summary>
    public static void RunBounded(Action<byte[]> target, byte[] input)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(input);
        var before = GC.GetAllocatedBytesForCurrentThread();
        target(input);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var bound = AllocationAllowance + ((long)AllocationPerInputByte * input.Length);
        if (allocated > bound)
        {
            throw new InvalidOperationException($"A {input.Length}-byte input allocated {allocated} bytes, over the bound of {bound}.");
        }
    }

    /// <summary>Runs <paramref name="target"/> over every file of <paramref name="folder"/>; one line per input that crashed.</summary>
    public static IReadOnlyList<string> Replay(Action<byte[]> target, string folder)
    {
        ArgumentNullException.ThrowIfNull(target);
        var failures = new List<string>();
        foreach (var path in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            try
            {
                RunBounded(target, File.ReadAllBytes(path));
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
