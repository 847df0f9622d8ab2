"""s3proxy for the S3 benchmarks: in memory, no authorization, on a free port of 127.0.0.1,
with the bucket "bench". Used by s3.py and s3-pull.py."""
import os, socket, subprocess, time, urllib.request


def start(jar, work, heap):
    """Starts s3proxy and returns (process, endpoint) once the bucket exists."""
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    endpoint = "http://127.0.0.1:%d" % port
    conf = os.path.join(work, "s3proxy.conf")
    with open(conf, "w") as f:
        f.write("s3proxy.endpoint=%s\ns3proxy.authorization=none\njclouds.provider=transient\n"
                "jclouds.identity=a\njclouds.credential=b\n" % endpoint)
    proxy = subprocess.Popen(["java", "-Xmx" + heap, "-jar", jar, "--properties", conf],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close(); break
        except OSError:
            time.sleep(0.2)
    urllib.request.urlopen(urllib.request.Request(endpoint + "/bench", method="PUT")).read()
    return proxy, endpoint
