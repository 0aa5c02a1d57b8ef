package dev.esm.core.plan;

import dev.esm.core.model.ChainLink;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What planning knows of the depth of the chains a create or revert puts a new active layer on.
 *
 * @param max the most images a chain may hold ({@link dev.esm.api.Settings#maxChainDepth()})
 * @param chains the chains read, by their top image's path, top first; an image not here is known to fit (the engine
 *               reads chains only when they may be too deep)
 */
public record ChainDepths(int max, Map<String, List<ChainLink>> chains) {
    /** Nothing read: every chain fits. */
    public static final ChainDepths NONE = new ChainDepths(dev.esm.api.Settings.MAX_CHAIN_DEPTH, Map.of());

    public ChainDepths {
        chains = Map.copyOf(chains);
    }

    /** @return the chain of an image, top first, if it was read */
    public Optional<List<ChainLink>> chain(String top) {
        return Optional.ofNullable(chains.get(top));
    }
}
