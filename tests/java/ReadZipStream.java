import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads a zip from standard input with java.util.zip.ZipInputStream, the way
 * Java, Kotlin and Android code reads one from an HTTP response (entry by
 * entry, never seeking, no central directory), and writes each entry to
 * standard output as: name NUL length NUL bytes.
 *
 * ZipInputStream checks each entry's CRC-32 and sizes itself (a mismatch
 * throws); this program checks them again against what it read. Any failure
 * exits non-zero with Java's message on standard error.
 *
 * Run by tests/test_archive.rs as `java tests/java/ReadZipStream.java`.
 */
public class ReadZipStream {
    public static void main(String[] args) throws IOException {
        OutputStream out = new BufferedOutputStream(System.out);
        byte[] buffer = new byte[64 * 1024];
        try (ZipInputStream zip =
                new ZipInputStream(new BufferedInputStream(System.in), StandardCharsets.UTF_8)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                ByteArrayOutputStream data = new ByteArrayOutputStream();
                CRC32 crc = new CRC32();
                int n;
                while ((n = zip.read(buffer)) > 0) {
                    data.write(buffer, 0, n);
                    crc.update(buffer, 0, n);
                }
                // Known once the entry has been read, from its local header
                // or its data descriptor.
                if (entry.getCrc() != crc.getValue()) {
                    throw new IOException(entry.getName() + ": CRC " + entry.getCrc()
                            + " stated, " + crc.getValue() + " read");
                }
                if (entry.getSize() != data.size()) {
                    throw new IOException(entry.getName() + ": size " + entry.getSize()
                            + " stated, " + data.size() + " read");
                }
                out.write(entry.getName().getBytes(StandardCharsets.UTF_8));
                out.write(0);
                out.write(Integer.toString(data.size()).getBytes(StandardCharsets.US_ASCII));
                out.write(0);
                data.writeTo(out);
            }
        }
        out.flush();
    }
}
