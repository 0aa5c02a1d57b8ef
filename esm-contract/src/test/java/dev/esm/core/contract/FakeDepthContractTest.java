package dev.esm.core.contract;

/** The depth contract on the in-memory fake. */
class FakeDepthContractTest extends DepthContract {
    @Override
    protected Bed openBed() {
        return new FakeBed();
    }
}
