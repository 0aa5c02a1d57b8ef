package dev.esm.core.engine;

import dev.esm.core.port.Host;
import dev.esm.core.port.StateStore;
import dev.esm.core.port.Storage;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.function.Supplier;

/**
 * A port that passes every call on to a real one and shows it to the test first, to count or record it, or to answer
 * it instead: the host's calls and those of its storage and state store ({@code storage()} and {@code stateStore()}
 * return the intercepted ones, and are not shown).
 */
final class InterceptedPort {
    private InterceptedPort() {
    }

    /** What a test does with one call. */
    @FunctionalInterface
    interface Interceptor {
        /**
         * @param port   the interface called: {@code Host}, {@code Storage} or {@code StateStore}
         * @param method the method called
         * @param args   its arguments ({@code null} for none)
         * @param real   the same call on the real port
         * @return what the call returns
         */
        Object call(Class<?> port, Method method, Object[] args, RealCall real) throws Throwable;
    }

    /** The call on the real port: returns what it returns, throws what it throws. */
    @FunctionalInterface
    interface RealCall {
        Object proceed() throws Throwable;
    }

    /** @return {@code real}, its storage and its state store with every call through {@code interceptor} */
    static Host of(Host real, Interceptor interceptor) {
        Storage storage = proxy(Storage.class, real::storage, interceptor);
        StateStore state = proxy(StateStore.class, real::stateStore, interceptor);
        return (Host) Proxy.newProxyInstance(Host.class.getClassLoader(), new Class<?>[] {Host.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("storage") && m.getParameterCount() == 0) {
                        return storage;
                    }
                    if (m.getName().equals("stateStore") && m.getParameterCount() == 0) {
                        return state;
                    }
                    return interceptor.call(Host.class, m, args, () -> invoke(m, real, args));
                });
    }

    /** {@code target} is asked for at each call, as the host's {@code storage()} and {@code stateStore()} were. */
    private static <T> T proxy(Class<T> port, Supplier<? extends T> target, Interceptor interceptor) {
        return port.cast(Proxy.newProxyInstance(port.getClassLoader(), new Class<?>[] {port},
                (proxy, m, args) -> interceptor.call(port, m, args, () -> invoke(m, target.get(), args))));
    }

    private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
