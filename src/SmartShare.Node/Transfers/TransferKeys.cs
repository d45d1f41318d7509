using System.Collections.Concurrent;

namespace SmartShare.Node.Transfers;

/// <summary>
/// One <see cref="TransferKey"/> per hash, made once: a key holds the hash as text, and the queue's round and every
/// listing name each of thousands of transfers by its key (one new string each, every 2 s, before this). Thread-safe.
/// </summary>
internal sealed class TransferKeys<THash>(Func<THash, TransferKey> make)
    where THash : struct, IEquatable<THash>
{
    private readonly ConcurrentDictionary<THash, TransferKey> _keys = new();

    public TransferKey Of(THash hash) => _keys.TryGetValue(hash, out var key) ? key : _keys.GetOrAdd(hash, make);

    /// <summary>Drops a removed transfer's key.</summary>
    public void Forget(THash hash) => _keys.TryRemove(hash, out _);
}
