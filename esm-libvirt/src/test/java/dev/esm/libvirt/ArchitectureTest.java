package dev.esm.libvirt;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.Test;

/**
 * The one-way dependencies between esm-libvirt's packages (docs/architecture.md), enforced on its main classes: the
 * entry points ({@code dev.esm.libvirt}) on everything, {@code state} on {@code pool} and {@code connect}, {@code pool}
 * on {@code jobs}, {@code image} and {@code connect}, {@code jobs} on {@code connect}, {@code local} on {@code image};
 * nothing below depends on the entry points, and no two classes depend on each other, directly or through others.
 */
class ArchitectureTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.esm.libvirt");

    @Test
    void thePackagesDependOneWay() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("entry points").definedBy("dev.esm.libvirt")
                .layer("state").definedBy("dev.esm.libvirt.internal.state..")
                .layer("pool").definedBy("dev.esm.libvirt.internal.pool..")
                .layer("jobs").definedBy("dev.esm.libvirt.internal.jobs..")
                .layer("local").definedBy("dev.esm.libvirt.internal.local..")
                .layer("image").definedBy("dev.esm.libvirt.internal.image..")
                .layer("connect").definedBy("dev.esm.libvirt.internal.connect..")
                .whereLayer("entry points").mayNotBeAccessedByAnyLayer()
                .whereLayer("state").mayOnlyBeAccessedByLayers("entry points")
                .whereLayer("pool").mayOnlyBeAccessedByLayers("entry points", "state")
                .whereLayer("jobs").mayOnlyBeAccessedByLayers("entry points", "pool")
                .whereLayer("local").mayOnlyBeAccessedByLayers("entry points")
                .whereLayer("image").mayOnlyBeAccessedByLayers("entry points", "pool", "local")
                .whereLayer("connect").mayOnlyBeAccessedByLayers("entry points", "state", "pool", "jobs")
                .check(MAIN);
    }

    @Test
    void noClassesDependOnEachOtherInACycle() {
        slices().assignedFrom(new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass c) {
                String name = c.getName();
                int nested = name.indexOf('$');
                return SliceIdentifier.of(nested < 0 ? name : name.substring(0, nested)); // a class with its nested ones
            }

            @Override
            public String getDescription() {
                return "esm-libvirt's classes, each with its nested classes";
            }
        }).should().beFreeOfCycles().check(MAIN);
    }
}
