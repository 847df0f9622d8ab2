package io.lfscloud.core.agent;

/** Receives the running total of bytes moved for one object. */
@FunctionalInterface
public interface Progress {

    Progress NONE = total -> { };

    /** {@code bytesSoFar} bytes of the object have been transferred. */
    void report(long bytesSoFar);
}
