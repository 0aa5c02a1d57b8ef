package dev.esm.core;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The one-way dependencies between esm-core's packages (docs/architecture.md), enforced on its main classes:
 * {@code engine} → {@code plan} → {@code xml} → {@code model}, and {@code engine} → {@code port}; {@code port} and
 * {@code model} depend on nothing of {@code engine} or {@code plan}, no two packages on each other, and no two classes
 * on each other, directly or through others.
 */
class ArchitectureTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.esm.core");

    @Test
    void thePackagesDependOneWay() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("engine").definedBy("dev.esm.core.engine..")
                .layer("plan").definedBy("dev.esm.core.plan..")
                .layer("xml").definedBy("dev.esm.core.xml..")
                .layer("model").definedBy("dev.esm.core.model..")
                .layer("port").definedBy("dev.esm.core.port..")
                .whereLayer("engine").mayNotBeAccessedByAnyLayer()
                .whereLayer("plan").mayOnlyBeAccessedByLayers("engine")
                .whereLayer("xml").mayOnlyBeAccessedByLayers("engine", "plan")
                .whereLayer("model").mayOnlyBeAccessedByLayers("engine", "plan", "xml", "port")
                .whereLayer("port").mayOnlyBeAccessedByLayers("engine")
                .check(MAIN);
    }

    @Test
    void noPackagesDependOnEachOtherInACycle() {
        slices().matching("dev.esm.core.(*)..").should().beFreeOfCycles().check(MAIN);
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
                return "esm-core's classes, each with its nested classes";
            }
        }).should().beFreeOfCycles().check(MAIN);
    }
}
