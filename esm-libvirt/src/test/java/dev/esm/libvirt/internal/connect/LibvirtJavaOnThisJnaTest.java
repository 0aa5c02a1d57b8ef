package dev.esm.libvirt.internal.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * libvirt-java 0.5.4 declares JNA [3.4.1,5.5.0]; ESM runs it on a newer JNA (see the parent POM and
 * docs/guide/01-getting-started.md, "JNA's version"). This checks that the JNA on the class path has every JNA class,
 * method, constructor and field libvirt-java's bytecode refers to (read with the JDK's {@code javap}), with the same
 * signatures, and that no
 * concrete libvirt-java class misses an abstract method of a JNA superclass: what would otherwise fail only at run
 * time, with a {@code NoSuchMethodError} or {@code AbstractMethodError}, on the call that needs it.
 */
class LibvirtJavaOnThisJnaTest {
    private static final Pattern REF = Pattern.compile(
            "= (?:Methodref|InterfaceMethodref|Fieldref|Class)\\s.*//\\s+\"?(com/sun/jna/\\S+?)\"?$", Pattern.MULTILINE);

    @Test
    void everyJnaMemberLibvirtJavaUsesExists() throws Exception {
        Path jar = Path.of(org.libvirt.Connect.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> classes = new ArrayList<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            zip.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class") && !n.contains("module-info"))
                    .forEach(n -> classes.add(n.substring(0, n.length() - 6).replace('/', '.')));
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "javap").toString(), "-v", "-cp", jar.toString()));
        command.addAll(classes);
        Process javap = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(javap.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(javap.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, javap.exitValue(), out.length() > 2000 ? out.substring(0, 2000) : out);

        Set<String> refs = new TreeSet<>();
        Matcher m = REF.matcher(out);
        while (m.find()) {
            refs.add(m.group(1));
        }
        assertTrue(refs.size() > 20, "libvirt-java refers to JNA: " + refs);
        List<String> problems = new ArrayList<>();
        for (String ref : refs) {
            int dot = ref.indexOf('.');
            String owner = (dot < 0 ? ref : ref.substring(0, dot)).replace('/', '.');
            try {
                Class<?> c = Class.forName(owner, false, getClass().getClassLoader());
                if (dot >= 0) {
                    String member = ref.substring(dot + 1);
                    String name = member.substring(0, member.indexOf(':'));
                    String descriptor = member.substring(member.indexOf(':') + 1);
                    if (!has(c, name, descriptor)) {
                        problems.add("missing " + ref);
                    }
                }
            } catch (ClassNotFoundException e) {
                problems.add("missing class " + owner);
            }
        }
        for (String name : classes) {
            Class<?> c = Class.forName(name, false, getClass().getClassLoader());
            if (c.isInterface() || Modifier.isAbstract(c.getModifiers())) {
                continue;
            }
            for (Class<?> k = c.getSuperclass(); k != null; k = k.getSuperclass()) {
                if (!k.getName().startsWith("com.sun.jna.")) {
                    continue;
                }
                for (Method abs : k.getDeclaredMethods()) {
                    if (Modifier.isAbstract(abs.getModifiers()) && !implemented(c, k, abs)) {
                        problems.add(name + " does not implement " + abs);
                    }
                }
            }
        }
        assertEquals(List.of(), problems, "JNA " + com.sun.jna.Native.VERSION + " under libvirt-java ("
                + refs.size() + " JNA references checked)");
    }

    private static boolean implemented(Class<?> c, Class<?> declaring, Method abs) {
        for (Class<?> s = c; s != declaring; s = s.getSuperclass()) {
            try {
                s.getDeclaredMethod(abs.getName(), abs.getParameterTypes());
                return true;
            } catch (NoSuchMethodException next) {
                // look further up
            }
        }
        return false;
    }

    private static boolean has(Class<?> c, String name, String descriptor) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            if (name.equals("\"<init>\"")) {
                for (Constructor<?> ctor : k.getDeclaredConstructors()) {
                    if (descriptor(ctor.getParameterTypes(), void.class).equals(descriptor)) {
                        return true;
                    }
                }
                return false;
            }
            for (Method method : k.getDeclaredMethods()) {
                if (method.getName().equals(name)
                        && descriptor(method.getParameterTypes(), method.getReturnType()).equals(descriptor)) {
                    return true;
                }
            }
            for (Field f : k.getDeclaredFields()) {
                if (f.getName().equals(name) && descriptor(f.getType()).equals(descriptor)) {
                    return true;
                }
            }
            for (Class<?> i : k.getInterfaces()) {
                if (has(i, name, descriptor)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String descriptor(Class<?>[] parameters, Class<?> result) {
        StringBuilder b = new StringBuilder("(");
        for (Class<?> p : parameters) {
            b.append(descriptor(p));
        }
        return b.append(')').append(descriptor(result)).toString();
    }

    private static String descriptor(Class<?> c) {
        if (c.isArray()) {
            return c.getName().replace('.', '/');
        }
        if (!c.isPrimitive()) {
            return "L" + c.getName().replace('.', '/') + ";";
        }
        return switch (c.getName()) {
            case "int" -> "I";
            case "long" -> "J";
            case "boolean" -> "Z";
            case "byte" -> "B";
            case "char" -> "C";
            case "short" -> "S";
            case "float" -> "F";
            case "double" -> "D";
            default -> "V";
        };
    }
}
