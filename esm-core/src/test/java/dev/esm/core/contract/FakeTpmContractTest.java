package dev.esm.core.contract;

/** An emulated TPM's state against the in-memory fake host. */
class FakeTpmContractTest extends TpmContract {
    @Override
    protected Bed openBed() {
        return new FakeBed();
    }
}
