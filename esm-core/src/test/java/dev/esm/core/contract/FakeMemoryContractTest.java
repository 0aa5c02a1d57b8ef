package dev.esm.core.contract;

/** Memory snapshots against the in-memory fake host. */
class FakeMemoryContractTest extends MemoryContract {
    @Override
    protected Bed openBed() {
        return new FakeBed();
    }
}
