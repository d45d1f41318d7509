// Every test class is its own collection and the classes run in parallel: each test has its own temp folder,
// its own 127.0.0.x addresses (LoopbackAddresses) and free ports, and its own tracker when it needs one.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, DisableTestParallelization = false)]
