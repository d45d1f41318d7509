using System.Diagnostics.CodeAnalysis;

// BitTorrent v1 defines info hashes and piece hashes as SHA-1, so the tests recompute SHA-1 to check them.
[assembly: SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Scope = "module", Justification = "BitTorrent v1 is SHA-1.")]
