import io.lfscloud.testkit.FakeGcs;

import java.nio.file.Path;

/**
 * The test kit's FakeGcs as a process, for bench/gcs.py: a bucket "bench", a service-account
 * key in FOLDER, and one line on stdout: ENDPOINT KEY_FILE TOKEN (the token for curl). Runs
 * until stdin closes. Usage: java -cp backend-testkit/target/classes bench/FakeGcsServer.java FOLDER
 */
public class FakeGcsServer {
    public static void main(String[] args) throws Exception {
        try (FakeGcs gcs = new FakeGcs()) {
            gcs.createBucket("bench", false, false);
            String email = "bench@fake-project.iam.gserviceaccount.com";
            Path key = gcs.serviceAccount(Path.of(args[0]), email, true);
            System.out.println(gcs.endpoint() + " " + key + " " + gcs.issueToken(email));
            System.out.flush();
            System.in.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }
}
