import io.lfscloud.testkit.LfsServer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;

/**
 * The test kit's LfsServer (JGit's Git LFS server in Jetty, 127.0.0.1, basic authentication) as a
 * process, for bench/lfs-server.py: one line on stdout, the Batch API endpoint; then for each
 * line "calls" on stdin, one line with the Batch API calls so far of git-lfs and of lfs-cloud and
 * the objects they asked for. Runs until stdin closes.
 * Usage: java -cp CLASSPATH bench/LfsServerMain.java FOLDER USER PASSWORD
 */
public class LfsServerMain {
    public static void main(String[] args) throws Exception {
        try (LfsServer server = new LfsServer(Path.of(args[0]), args[1], args[2])) {
            System.out.println(server.endpoint());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("calls")) {
                    System.out.println(server.batchCalls("git-lfs") + " " + server.batchCalls("lfs-cloud") + " "
                            + server.batchSizes().stream().mapToLong(Integer::longValue).sum());
                    System.out.flush();
                }
            }
        }
    }
}
