package dev.esm.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code esm completion}: Print the bash/zsh completion script. */
@CommandLine.Command(name = "completion", mixinStandardHelpOptions = true,
        header = "Print the bash/zsh completion script.",
        description = {"Prints picocli's completion script for esm's commands and options.",
                "bash: source <(esm completion)   (or save it in /etc/bash_completion.d/esm)",
                "zsh:  autoload -U +X compinit && compinit; autoload -U +X bashcompinit && bashcompinit; "
                        + "source <(esm completion)"})
final class Completion implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.print(picocli.AutoComplete.bash("esm", spec.root().commandLine()));
        out.flush();
        return 0;
    }
}
