namespace SmartShare.Kademlia.Routing;

/// <summary>
/// What happened to a contact offered to the table. <see cref="Contact"/> is the instance that is (or would
/// be) stored; <see cref="PingCandidate"/> is set only for <see cref="AddContactOutcome.BucketFull"/>.
/// </summary>
public readonly record struct AddContactResult(AddContactOutcome Outcome, Contact Contact, Contact? PingCandidate);
