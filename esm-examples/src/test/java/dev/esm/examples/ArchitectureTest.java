package dev.esm.examples;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.conditions.ArchConditions;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the examples and the API they are written against may import, enforced (the tests may use anything their
 * test-scope dependencies bring).
 */
class ArchitectureTest {
    /** The packages every example may use. */
    static final List<String> ALLOWED = List.of("dev.esm.api", "dev.esm.examples", "java", "javax");

    /**
     * The examples are written as a user writes a program: on ESM's public API and the JDK. One exception: the demo
     * takes its lab domain from the published JUnit 5 kit ({@code dev.esm.junit5.ThrowawayDomain}), as a user's own
     * demo would.
     */
    @Test
    void theExamplesUseEsmApiOnly() {
        classes().that().resideInAPackage("dev.esm.examples..").should(ArchConditions.onlyHaveDependenciesWhere(
                new DescribedPredicate<Dependency>("the target is in " + ALLOWED + ", or is ThrowawayDomain used by "
                        + "Demo") {
                    @Override
                    public boolean test(Dependency d) {
                        JavaClass target = d.getTargetClass().getBaseComponentType();
                        String pkg = target.getPackageName();
                        return target.isPrimitive() || ALLOWED.stream().anyMatch(a -> pkg.equals(a)
                                || pkg.startsWith(a + "."))
                                || d.getOriginClass().getName().startsWith(Demo.class.getName())
                                && target.getName().equals("dev.esm.junit5.ThrowawayDomain");
                    }
                })).check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("dev.esm.examples"));
    }

    /** esm-api, as the examples see it on their class path, refers to no implementation: not esm-core, not esm-libvirt. */
    @Test
    void esmApiImportsNoImplementation() {
        noClasses().that().resideInAPackage("dev.esm.api..").should().dependOnClassesThat()
                .resideInAnyPackage("dev.esm.core..", "dev.esm.libvirt..")
                .check(new ClassFileImporter().importPackages("dev.esm.api"));
    }
}
