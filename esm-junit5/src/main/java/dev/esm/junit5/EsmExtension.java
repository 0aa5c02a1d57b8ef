package dev.esm.junit5;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.RevertCommand;
import dev.esm.api.SnapshotManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 extension behind {@link EsmDomain} and {@link EsmThrowawayDomain} (those annotations register it;
 * there is no need to name it). Per test class that carries one of them: one connection, and for
 * {@link EsmThrowawayDomain} one domain, made before the class's {@code @BeforeAll} methods and removed after its
 * {@code @AfterAll} methods; before each test, the revert (and start) the annotation asks for. {@code @Nested}
 * classes share their enclosing class's domain unless they carry an annotation of their own. Injects
 * {@link DomainSnapshots}, {@link SnapshotManager} and (for a throwaway domain) {@link ThrowawayDomain} parameters.
 * Tests of one class must not run in parallel with each other: they share the domain.
 */
public final class EsmExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(EsmExtension.class);
    private static final String KEY = "domain";

    /** What one annotated test class holds: closed after the class. */
    private static final class Bench implements AutoCloseable {
        final SnapshotManager manager;
        final DomainSnapshots domain;
        final ThrowawayDomain throwaway;
        final String revertTo;
        final boolean start;

        Bench(SnapshotManager manager, DomainSnapshots domain, ThrowawayDomain throwaway, String revertTo,
              boolean start) {
            this.manager = manager;
            this.domain = domain;
            this.throwaway = throwaway;
            this.revertTo = revertTo;
            this.start = start;
        }

        @Override
        public void close() {
            try {
                manager.close();
            } finally {
                if (throwaway != null) {
                    throwaway.close();
                }
            }
        }
    }

    /** Made by JUnit. */
    public EsmExtension() {
    }

    private static String uri(String given) {
        if (!given.isBlank()) {
            return given;
        }
        String env = System.getenv("ESM_TEST_URI");
        return env != null && !env.isBlank() ? env : SnapshotManager.defaultUri();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Class<?> type = context.getRequiredTestClass();
        Optional<EsmDomain> named = AnnotationSupport.findAnnotation(type, EsmDomain.class);
        Optional<EsmThrowawayDomain> throwaway = AnnotationSupport.findAnnotation(type, EsmThrowawayDomain.class);
        if (named.isPresent() && throwaway.isPresent()) {
            throw new ExtensionConfigurationException(type.getName()
                    + " has both @EsmDomain and @EsmThrowawayDomain; choose one");
        }
        if (named.isPresent()) {
            EsmDomain a = named.get();
            if (a.start() && a.revertTo().isEmpty()) {
                throw new ExtensionConfigurationException("@EsmDomain(start = true) on " + type.getName()
                        + " needs revertTo: the domain is started as part of the revert before each test");
            }
            SnapshotManager manager = SnapshotManager.connect(uri(a.uri()));
            try {
                context.getStore(NAMESPACE).put(KEY, new Bench(manager, manager.domain(a.name()), null, a.revertTo(),
                        a.start()));
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
        } else if (throwaway.isPresent()) {
            EsmThrowawayDomain a = throwaway.get();
            String uri = uri(a.uri());
            ThrowawayDomain lab;
            try {
                lab = ThrowawayDomain.create(uri, a.prefix(), a.disks(), (long) a.diskMiB() << 20);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            SnapshotManager manager = null;
            try {
                manager = SnapshotManager.connect(uri);
                DomainSnapshots domain = manager.domain(lab.name());
                if (!a.snapshot().isEmpty()) {
                    domain.snapshot(a.snapshot()).description("taken by @EsmThrowawayDomain").create();
                }
                context.getStore(NAMESPACE).put(KEY, new Bench(manager, domain, lab, a.snapshot(), a.start()));
            } catch (RuntimeException e) {
                if (manager != null) {
                    manager.close();
                }
                lab.close();
                throw e;
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        // Only this class's own bench: an enclosing class's stays for that class's afterAll.
        Bench bench = context.getStore(NAMESPACE).remove(KEY, Bench.class);
        if (bench != null) {
            bench.close();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        Bench bench = context.getStore(NAMESPACE).get(KEY, Bench.class);
        if (bench == null) {
            return;
        }
        if (!bench.revertTo.isEmpty()) {
            RevertCommand revert = bench.domain.revert(bench.revertTo).stopIfRunning();
            (bench.start ? revert.start() : revert).execute();
        } else if (bench.start && bench.domain.state() != DomainState.RUNNING) {
            bench.throwaway.start(); // only a throwaway domain gets here (checked in beforeAll)
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Bench bench = context.getStore(NAMESPACE).get(KEY, Bench.class);
        Class<?> type = parameter.getParameter().getType();
        return bench != null && (type == DomainSnapshots.class || type == SnapshotManager.class
                || type == ThrowawayDomain.class && bench.throwaway != null);
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Bench bench = context.getStore(NAMESPACE).get(KEY, Bench.class);
        Class<?> type = parameter.getParameter().getType();
        return type == DomainSnapshots.class ? bench.domain : type == SnapshotManager.class ? bench.manager
                : bench.throwaway;
    }
}
