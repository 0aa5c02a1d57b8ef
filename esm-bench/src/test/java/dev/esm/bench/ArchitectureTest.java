package dev.esm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * How the benchmarks' classes depend on each other, enforced: every section class and every benchmark stands alone
 * on the harness ({@code dev.esm.bench.harness}), which depends on none of them; only {@link Benchmark}, which picks
 * the sections, uses section classes. So no two classes depend on each other. Nested classes count as their outer
 * class.
 */
class ArchitectureTest {
    private static final String HARNESS = "dev.esm.bench.harness";

    @Test
    void sectionsStandAloneOnTheHarness() {
        JavaClasses all = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.esm.bench");
        Map<String, Set<String>> uses = new TreeMap<>();
        for (JavaClass c : all) {
            String from = outer(c);
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                JavaClass target = d.getTargetClass().getBaseComponentType();
                String to = outer(target);
                if (!to.equals(from) && target.getPackageName().startsWith("dev.esm.bench")) {
                    uses.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
                }
            }
        }
        List<String> wrong = new ArrayList<>();
        uses.forEach((from, targets) -> {
            for (String to : targets) {
                boolean toHarness = to.startsWith(HARNESS + ".");
                boolean ok = from.startsWith(HARNESS + ".") ? toHarness
                        : toHarness || from.equals(Benchmark.class.getName());
                if (!ok || uses.getOrDefault(to, Set.of()).contains(from)) {
                    wrong.add(from + " -> " + to);
                }
            }
        });
        assertEquals(List.of(), wrong);
    }

    private static String outer(JavaClass c) {
        JavaClass o = c;
        while (o.getEnclosingClass().isPresent()) {
            o = o.getEnclosingClass().get();
        }
        return o.getName();
    }
}
