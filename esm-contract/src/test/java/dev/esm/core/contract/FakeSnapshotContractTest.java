package dev.esm.core.contract;

/** The snapshot contract against the in-memory fake host. */
class FakeSnapshotContractTest extends MergeContract {
    @Override
    protected Bed openBed() {
        return new FakeBed();
    }
}
