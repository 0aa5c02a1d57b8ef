package dev.esm.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Runs esm commands one a line, from a file, standard input or an interactive prompt, all in one process and on
 * the connections of one {@link Session}. Lines are split like a shell would split them (see {@link #split}).
 */
final class Batch {
    private Batch() {
    }

    /** A line that cannot be split (an unterminated quote). */
    static final class SyntaxException extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxException(String message) {
            super(message);
        }
    }

    /**
     * Splits a line into words: blanks separate words; {@code '...'} keeps everything literally; {@code "..."} keeps
     * blanks, with {@code \"} and {@code \\} inside; a backslash outside quotes keeps the next character; a word
     * starting with {@code #} starts a comment up to the end of the line. No variables, globs or pipes.
     *
     * @return the words; empty for a blank or comment line
     */
    static List<String> split(String line) throws SyntaxException {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '#' && !inWord) {
                break;
            } else if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new SyntaxException("unterminated ' quote");
                }
                word.append(line, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i++;
                boolean closed = false;
                while (i < n) {
                    char d = line.charAt(i);
                    if (d == '"') {
                        closed = true;
                        i++;
                        break;
                    }
                    if (d == '\\' && i + 1 < n && (line.charAt(i + 1) == '"' || line.charAt(i + 1) == '\\')) {
                        d = line.charAt(++i);
                    }
                    word.append(d);
                    i++;
                }
                if (!closed) {
                    throw new SyntaxException("unterminated \" quote");
                }
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 < n) {
                    word.append(line.charAt(i + 1));
                }
                inWord = true;
                i += 2;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    /**
     * Runs every line: blank and comment lines are skipped, a leading {@code esm} word is allowed (lines copied
     * from a shell script), {@code exit} and {@code quit} end early.
     *
     * @param name what the lines come from, for error messages
     * @param lines the lines
     * @param session where errors go and which commands run
     * @param keepGoing whether to go on after a failing command
     * @param run runs one command's words and returns its exit code
     * @return 0 when every command succeeded; else the first failing command's exit code (with {@code keepGoing},
     *         after running the rest); 130 at once when a command was interrupted
     */
    static int runLines(String name, BufferedReader lines, Session session, boolean keepGoing,
                        ToIntFunction<List<String>> run) throws IOException {
        int firstFailure = 0;
        int number = 0;
        for (String line; (line = lines.readLine()) != null; ) {
            number++;
            session.where = name + ":" + number + ": ";
            int code;
            try {
                List<String> words = words(line);
                if (words.isEmpty()) {
                    continue;
                }
                if (isExit(words)) {
                    break;
                }
                code = run.applyAsInt(words);
            } catch (SyntaxException e) {
                session.err.println("esm: " + dev.esm.api.SnapshotName.printable(session.where + e.getMessage()));
                code = 2;
            }
            if (code == Session.INTERRUPTED) {
                return code;
            }
            if (code != 0 && firstFailure == 0) {
                firstFailure = code;
            }
            if (code != 0 && !keepGoing) {
                return code;
            }
        }
        return firstFailure;
    }

    /**
     * The interactive prompt: prints {@code esm> } on standard output, runs each line, reports failures and goes
     * on; ends at {@code exit}, {@code quit} or end of input.
     *
     * @return 0, or the exit code the last command gave when input ended
     */
    static int shell(BufferedReader in, Session session, ToIntFunction<List<String>> run) throws IOException {
        session.out.println("esm shell: one command a line, as on the command line ('help' lists them, 'exit' ends)");
        int last = 0;
        while (true) {
            session.out.print("esm> ");
            session.out.flush();
            String line = in.readLine();
            if (line == null) {
                session.out.println();
                return last;
            }
            session.where = "";
            try {
                List<String> words = words(line);
                if (words.isEmpty()) {
                    continue;
                }
                if (isExit(words)) {
                    return 0;
                }
                last = run.applyAsInt(words);
            } catch (SyntaxException e) {
                session.err.println("esm: " + e.getMessage());
                last = 2;
            }
        }
    }

    private static List<String> words(String line) throws SyntaxException {
        List<String> words = split(line);
        if (!words.isEmpty() && words.get(0).equals("esm")) {
            words = words.subList(1, words.size());
        }
        return words;
    }

    private static boolean isExit(List<String> words) {
        return words.size() == 1 && (words.get(0).equals("exit") || words.get(0).equals("quit"));
    }
}
