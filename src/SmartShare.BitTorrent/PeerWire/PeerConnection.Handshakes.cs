using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using SmartShare.BitTorrent.PeerWire.Encryption;
using SmartShare.BitTorrent.PeerWire.Transport;
using SmartShare.Threading;

namespace SmartShare.BitTorrent.PeerWire;

/// <summary>Dialing, accepting, and the BitTorrent and MSE handshakes that open a connection.</summary>
public sealed partial class PeerConnection
{
    /// <summary>
    /// Dials <paramref name="endPoint"/>, sends our handshake and reads the peer's. With
    /// <see cref="EncryptionMode.Prefer"/> the handshake goes inside an MSE handshake offering RC4 and plaintext, and a
    /// peer that fails MSE is dialed once more with a plain handshake; with <see cref="EncryptionMode.Require"/> only
    /// MSE with RC4 is offered; with <see cref="EncryptionMode.Disable"/> the handshake is plain.
    /// </summary>
    /// <exception cref="PeerConnectionException">Dialing or the handshake failed (EncryptionFailed: the MSE
    /// handshake, when encryption is required), the peer is on another torrent, or the peer is us.</exception>
    public static Task<PeerConnection> ConnectAsync(IPEndPoint endPoint, Handshake ours, PeerConnectionOptions options, CancellationToken cancellationToken) =>
        ConnectAsync(TcpPeerTransport.For(options ?? throw new ArgumentNullException(nameof(options))), endPoint, ours, options, cancellationToken);

    /// <summary>
    /// As <see cref="ConnectAsync(IPEndPoint, Handshake, PeerConnectionOptions, CancellationToken)"/>, over
    /// <paramref name="transport"/>. Over a <see cref="DualPeerTransport"/>, a peer that took the connection and then
    /// closed it in the handshake is dialed on the other transport first next time
    /// (<see cref="DualPeerTransport.TryOtherFirst"/>).
    /// </summary>
    public static async Task<PeerConnection> ConnectAsync(
        IPeerTransport transport, IPEndPoint endPoint, Handshake ours, PeerConnectionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return await ConnectWithEncryptionAsync(transport, endPoint, ours, options, cancellationToken);
        }
        catch (PeerConnectionException e) when (transport is DualPeerTransport dual
            && e.Kind is PeerConnectionErrorKind.Closed or PeerConnectionErrorKind.HandshakeFailed or PeerConnectionErrorKind.EncryptionFailed)
        {
            dual.TryOtherFirst(endPoint);
            throw;
        }
    }

    private static async Task<PeerConnection> ConnectWithEncryptionAsync(
        IPeerTransport transport, IPEndPoint endPoint, Handshake ours, PeerConnectionOptions options, CancellationToken cancellationToken)
    {
        switch (options.Encryption)
        {
            case EncryptionMode.Disable:
                return await ConnectOnceAsync(transport, endPoint, ours, options, MseCryptoOffer.None, cancellationToken);
            case EncryptionMode.Require:
                return await ConnectOnceAsync(transport, endPoint, ours, options, MseCryptoOffer.Rc4, cancellationToken);
            default:
                try
                {
                    return await ConnectOnceAsync(transport, endPoint, ours, options, MseCryptoOffer.Rc4 | MseCryptoOffer.Plaintext, cancellationToken);
                }
                catch (PeerConnectionException e) when (e.Kind == PeerConnectionErrorKind.EncryptionFailed)
                {
                    // A peer without MSE closes on our public key (it is no BitTorrent handshake): dial it again plainly.
                    return await ConnectOnceAsync(transport, endPoint, ours, options, MseCryptoOffer.None, cancellationToken);
                }
        }
    }

    /// <summary>
    /// Takes over an accepted socket and reads the peer's plain handshake, so that a listener serving many torrents
    /// can look up the info hash. The caller then calls <see cref="AcceptAsync"/> or disposes the connection.
    /// MSE handshakes are refused.
    /// </summary>
    /// <exception cref="PeerConnectionException">The peer sent no valid handshake in time.</exception>
    public static Task<(PeerConnection Connection, Handshake Remote)> ReadIncomingHandshakeAsync(Socket socket, PeerConnectionOptions options, CancellationToken cancellationToken) =>
        ReadIncomingHandshakeAsync(socket, options, null, cancellationToken);

    /// <summary>As <see cref="ReadIncomingHandshakeAsync(IPeerLink, PeerConnectionOptions, MseSkeyTable?, CancellationToken)"/>, for an accepted TCP socket.</summary>
    public static Task<(PeerConnection Connection, Handshake Remote)> ReadIncomingHandshakeAsync(
        Socket socket, PeerConnectionOptions options, MseSkeyTable? encryptedTorrents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(options);
        IPeerLink link;
        try
        {
            link = TcpPeerTransport.For(options).Adopt(socket);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new PeerConnectionException(PeerConnectionErrorKind.Closed, $"The accepted connection is already gone: {e.Message}", e);
        }

        return ReadIncomingHandshakeAsync(link, options, encryptedTorrents, cancellationToken);
    }

    /// <summary>
    /// Takes over an accepted link and reads the peer's handshake, so that a listener serving many torrents can
    /// look up the info hash; the caller then calls <see cref="AcceptAsync"/> or disposes the connection. The first
    /// bytes tell the two kinds apart: 0x13 "BitTorrent protocol" is a plain handshake (refused when
    /// <see cref="PeerConnectionOptions.Encryption"/> is <see cref="EncryptionMode.Require"/>); anything else is
    /// taken for an MSE handshake for one of <paramref name="encryptedTorrents"/> (refused when encryption is
    /// disabled or no table is given), whose IA is then read as the peer's handshake.
    /// </summary>
    /// <exception cref="PeerConnectionException">The peer sent no valid handshake in time (HandshakeFailed,
    /// TimedOut), failed the MSE handshake or sent the kind of handshake refused (EncryptionFailed), or named another
    /// torrent inside MSE than the one its MSE handshake named (WrongInfoHash).</exception>
    public static async Task<(PeerConnection Connection, Handshake Remote)> ReadIncomingHandshakeAsync(
        IPeerLink link, PeerConnectionOptions options, MseSkeyTable? encryptedTorrents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(options);
        var remoteEndPoint = link.RemoteEndPoint;
        var network = link.Stream;

        using var timeout = new TimeLimit(options.HandshakeTimeout, options.Time, cancellationToken);
        PeerConnection connection;
        InfoHash? mseSkey = null;
        try
        {
            var (first, plain) = await PeekAsync(network, remoteEndPoint, options, cancellationToken, timeout.Token);
            if (plain)
            {
                if (options.Encryption == EncryptionMode.Require)
                {
                    throw new PeerConnectionException(PeerConnectionErrorKind.EncryptionFailed, $"Peer {remoteEndPoint} sent a plain handshake; encryption is required.");
                }

                connection = new PeerConnection(link, PrefixedStream.Over(first, network), remoteEndPoint, options, isIncoming: true, MseCryptoOffer.None);
            }
            else
            {
                if (options.Encryption == EncryptionMode.Disable || encryptedTorrents is null)
                {
                    throw new PeerConnectionException(
                        PeerConnectionErrorKind.HandshakeFailed,
                        $"Peer {remoteEndPoint} is not speaking BitTorrent (or speaks MSE, which is disabled): its handshake does not start with 0x13 \"BitTorrent protocol\".");
                }

                var result = await RespondMseAsync(network, first, encryptedTorrents, remoteEndPoint, options, cancellationToken, timeout.Token);
                if (options.Encryption == EncryptionMode.Require && result.SelectedCrypto != MseCryptoOffer.Rc4)
                {
                    throw new PeerConnectionException(PeerConnectionErrorKind.EncryptionFailed, $"Peer {remoteEndPoint} does not offer RC4; encryption is required.");
                }

                mseSkey = result.Skey;
                connection = new PeerConnection(
                    link, PrefixedStream.Over(result.InitialPayload, result.Stream), remoteEndPoint, options, isIncoming: true, result.SelectedCrypto);
            }
        }
        catch
        {
            await link.DisposeAsync();
            throw;
        }

        try
        {
            var remote = await connection.ReadHandshakeAsync(cancellationToken, timeout.Token);
            if (mseSkey is { } skey && remote.InfoHash != skey)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.WrongInfoHash, $"Peer {remoteEndPoint} asked for torrent {skey} in its MSE handshake but {remote.InfoHash} in its BitTorrent handshake.");
            }

            connection.Remote = remote;
            return (connection, remote);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Answers an incoming connection with our handshake.</summary>
    /// <exception cref="PeerConnectionException">The peer is us (SelfConnection), is on another torrent (WrongInfoHash), or the send failed.</exception>
    public async Task AcceptAsync(Handshake ours, CancellationToken cancellationToken)
    {
        if (!IsIncoming)
        {
            throw new InvalidOperationException("Only an incoming connection is accepted; an outgoing one has already exchanged handshakes.");
        }

        if (Remote.InfoHash != ours.InfoHash)
        {
            throw new PeerConnectionException(PeerConnectionErrorKind.WrongInfoHash, $"Peer {RemoteEndPoint} asked for torrent {Remote.InfoHash}, not {ours.InfoHash}.");
        }

        using var timeout = new TimeLimit(_options.HandshakeTimeout, _time, cancellationToken);
        await WriteHandshakeAsync(ours, cancellationToken, timeout.Token);

        // Answered first even to ourselves, so the dialing side sees its own peer id too and stops dialing this address.
        if (Remote.PeerId == ours.PeerId)
        {
            throw new PeerConnectionException(PeerConnectionErrorKind.SelfConnection, $"Peer {RemoteEndPoint} has our own peer id: it is this client.");
        }
    }

    private static async Task<PeerConnection> ConnectOnceAsync(
        IPeerTransport transport, IPEndPoint endPoint, Handshake ours, PeerConnectionOptions options, MseCryptoOffer offer, CancellationToken cancellationToken)
    {
        IPeerLink link;
        try
        {
            using var timeout = new TimeLimit(options.ConnectTimeout, options.Time, cancellationToken);
            link = await transport.ConnectAsync(endPoint, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PeerConnectionException(PeerConnectionErrorKind.TimedOut, $"Connecting to {endPoint} took longer than {options.ConnectTimeout.TotalSeconds:0.###} s.");
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw new PeerConnectionException(PeerConnectionErrorKind.ConnectFailed, $"Could not connect to {endPoint}: {e.Message}", e);
        }

        using var handshakeTimeout = new TimeLimit(options.HandshakeTimeout, options.Time, cancellationToken);
        var network = link.Stream;
        PeerConnection connection;
        if (offer == MseCryptoOffer.None)
        {
            connection = new PeerConnection(link, network, endPoint, options, isIncoming: false, MseCryptoOffer.None);
        }
        else
        {
            MseHandshakeResult result;
            try
            {
                var ia = new byte[HandshakeCodec.Length];
                HandshakeCodec.Write(ia, ours);
                result = await MseHandshake.InitiateAsync(network, ours.InfoHash, offer, ia, Unlimited, handshakeTimeout.Token);
            }
            catch (Exception e) when (e is MseHandshakeException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await link.DisposeAsync();
                throw new PeerConnectionException(
                    PeerConnectionErrorKind.EncryptionFailed,
                    e is OperationCanceledException
                        ? $"The MSE handshake with {endPoint} took longer than {options.HandshakeTimeout.TotalSeconds:0.###} s."
                        : $"The MSE handshake with {endPoint} failed: {e.Message}",
                    e);
            }
            catch
            {
                await link.DisposeAsync();
                throw;
            }

            connection = new PeerConnection(link, result.Stream, endPoint, options, isIncoming: false, result.SelectedCrypto);
        }

        try
        {
            if (offer == MseCryptoOffer.None)
            {
                // Inside MSE our handshake went as IA.
                await connection.WriteHandshakeAsync(ours, cancellationToken, handshakeTimeout.Token);
            }

            var remote = await connection.ReadHandshakeAsync(cancellationToken, handshakeTimeout.Token);
            if (remote.InfoHash != ours.InfoHash)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.WrongInfoHash, $"Peer {endPoint} answered for torrent {remote.InfoHash}, not {ours.InfoHash}.");
            }

            if (remote.PeerId == ours.PeerId)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.SelfConnection, $"Peer {endPoint} has our own peer id: it is this client.");
            }

            connection.Remote = remote;
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    // Reads until the first bytes either are the 20-byte start of a plain handshake or differ from it somewhere.
    private static async Task<(byte[] First, bool Plain)> PeekAsync(
        Stream network, IPEndPoint remoteEndPoint, PeerConnectionOptions options, CancellationToken callerToken, CancellationToken timeoutToken)
    {
        var first = new byte[HandshakeCodec.Protocol.Length];
        var have = 0;
        while (true)
        {
            int read;
            try
            {
                read = await network.ReadAsync(first.AsMemory(have), timeoutToken);
            }
            catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
            {
                throw new PeerConnectionException(
                    PeerConnectionErrorKind.TimedOut, $"The handshake with {remoteEndPoint} took longer than {options.HandshakeTimeout.TotalSeconds:0.###} s.");
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.HandshakeFailed, $"Reading the handshake of {remoteEndPoint} failed: {e.Message}", e);
            }

            if (read == 0)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.HandshakeFailed, $"Peer {remoteEndPoint} closed the connection during the handshake.");
            }

            have += read;
            if (!first.AsSpan(0, have).SequenceEqual(HandshakeCodec.Protocol[..have]))
            {
                return (first[..have], false);
            }

            if (have == first.Length)
            {
                return (first, true);
            }
        }
    }

    private static async Task<MseHandshakeResult> RespondMseAsync(
        Stream network, byte[] first, MseSkeyTable torrents, IPEndPoint remoteEndPoint, PeerConnectionOptions options, CancellationToken callerToken, CancellationToken timeoutToken)
    {
        try
        {
            return await MseHandshake.RespondAsync(network, first, torrents, Unlimited, timeoutToken);
        }
        catch (OperationCanceledException e) when (!callerToken.IsCancellationRequested)
        {
            throw new PeerConnectionException(
                PeerConnectionErrorKind.TimedOut, $"The MSE handshake with {remoteEndPoint} took longer than {options.HandshakeTimeout.TotalSeconds:0.###} s.", e);
        }
        catch (MseHandshakeException e)
        {
            throw new PeerConnectionException(PeerConnectionErrorKind.EncryptionFailed, $"The MSE handshake of {remoteEndPoint} failed: {e.Message}", e);
        }
    }

    private async Task WriteHandshakeAsync(Handshake ours, CancellationToken callerToken, CancellationToken timeoutToken)
    {
        var span = _writer.GetSpan(HandshakeCodec.Length);
        HandshakeCodec.Write(span, ours);
        _writer.Advance(HandshakeCodec.Length);
        try
        {
            await _writer.FlushAsync(timeoutToken);
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
        {
            throw HandshakeTimedOut();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            throw new PeerConnectionException(PeerConnectionErrorKind.HandshakeFailed, $"Sending our handshake to {RemoteEndPoint} failed: {e.Message}", e);
        }
    }

    private async Task<Handshake> ReadHandshakeAsync(CancellationToken callerToken, CancellationToken timeoutToken)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _reader.ReadAsync(timeoutToken);
            }
            catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
            {
                throw HandshakeTimedOut();
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.HandshakeFailed, $"Reading the handshake of {RemoteEndPoint} failed: {e.Message}", e);
            }

            var buffer = result.Buffer;
            bool complete;
            Handshake handshake;
            try
            {
                complete = HandshakeCodec.TryRead(buffer, out handshake);
            }
            catch (PeerWireFormatException e)
            {
                _reader.AdvanceTo(buffer.Start);
                throw new PeerConnectionException(PeerConnectionErrorKind.HandshakeFailed, $"Peer {RemoteEndPoint} is not speaking BitTorrent: {e.Message}", e);
            }

            if (complete)
            {
                _reader.AdvanceTo(buffer.GetPosition(HandshakeCodec.Length));
                return handshake;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                throw new PeerConnectionException(PeerConnectionErrorKind.HandshakeFailed, $"Peer {RemoteEndPoint} closed the connection during the handshake.");
            }
        }
    }
}
