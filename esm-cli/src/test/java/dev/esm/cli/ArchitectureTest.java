package dev.esm.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.conditions.ArchConditions;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the tool may import, enforced: ESM's public API ({@code dev.esm.api..}), its own classes, the JDK and
 * picocli. Two named exceptions, each said why where it is: {@link EsmCli} stops libvirt-java's event loop at exit
 * ({@code org.libvirt.Library}), and {@link CdsTraining}, the class-data-sharing archive's training run, reads and
 * writes XML with esm-core's {@code dev.esm.core.xml} and reads a tree through esm-core's {@code CoreSnapshotManager}
 * on a host in memory ({@link CdsTrainingHost}, a {@code dev.esm.core.port.Host}) so that the archive holds those
 * classes. Anything else (esm-core's
 * engine or model, esm-libvirt, the test kits, the benchmarks) fails this test.
 */
class ArchitectureTest {
    /** The packages every class of the tool may use. */
    static final List<String> ALLOWED = List.of("dev.esm.api", "dev.esm.cli", "java", "javax", "picocli", "sun.misc");

    @Test
    void theToolUsesEsmApiOnly() {
        JavaClasses tool = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.esm.cli");
        classes().that().resideInAPackage("dev.esm.cli..").should(ArchConditions.onlyHaveDependenciesWhere(
                new DescribedPredicate<Dependency>("the target is in " + ALLOWED + ", or is org.libvirt.Library used "
                        + "by EsmCli, or is in dev.esm.core.xml or dev.esm.core.port or is GuestCpu (a port value) or "
                        + "CoreSnapshotManager, used by "
                        + "CdsTraining and CdsTrainingHost") {
                    @Override
                    public boolean test(Dependency d) {
                        JavaClass target = d.getTargetClass().getBaseComponentType();
                        String pkg = target.getPackageName();
                        if (target.isPrimitive() || ALLOWED.stream().anyMatch(a -> pkg.equals(a)
                                || pkg.startsWith(a + "."))) {
                            return true;
                        }
                        String origin = d.getOriginClass().getName();
                        return origin.startsWith(EsmCli.class.getName())
                                && target.getName().equals("org.libvirt.Library")
                                || origin.startsWith(CdsTraining.class.getName()) && (pkg.equals("dev.esm.core.xml")
                                || pkg.equals("dev.esm.core.port")
                                || target.getName().equals("dev.esm.core.model.GuestCpu") // a value of the port
                                || target.getName().equals("dev.esm.core.engine.CoreSnapshotManager"));
                    }
                })).check(tool);
    }
}
