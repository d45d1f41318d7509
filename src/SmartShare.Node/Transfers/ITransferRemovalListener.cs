namespace SmartShare.Node.Transfers;

/// <summary>Told when <see cref="TransferManager.RemoveAsync"/> has removed a transfer, to drop what it kept about it.</summary>
public interface ITransferRemovalListener
{
    void TransferRemoved(TransferKey key);
}
