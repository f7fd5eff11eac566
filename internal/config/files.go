package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// maxSecretFile bounds what a X_FILE may hold: a token, a password, a URL.
const maxSecretFile = 64 << 10

// withFiles wraps getenv so that every variable X may come from the file named by X_FILE
// (Docker and Kubernetes secrets), read once and trimmed. Problems with a file (both X and
// X_FILE set, unreadable, empty) are appended once per variable; a file's content never
// appears in them.
func withFiles(getenv func(string) string, read func(path string) (string, error), problems *Problems) func(string) string {
	seen := map[string]string{}
	return func(name string) string {
		if v, ok := seen[name]; ok {
			return v
		}
		v := getenv(name)
		fileVar := name + "_FILE"
		if path := strings.TrimSpace(getenv(fileVar)); path != "" {
			switch {
			case v != "":
				*problems = append(*problems, fmt.Sprintf("%s and %s are both set: give one of them", name, fileVar))
			default:
				content, err := read(path)
				switch {
				case err != nil:
					*problems = append(*problems, fmt.Sprintf("%s: %v", fileVar, err))
				case content == "":
					*problems = append(*problems, fmt.Sprintf("%s: %s is empty", fileVar, path))
				default:
					v = content
				}
			}
		}
		seen[name] = v
		return v
	}
}

// readSecretFile reads a secret's file, trimmed; errors name the path, never the content.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", path, pathReason(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", path, pathReason(err))
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d KiB: is it the right file?", path, maxSecretFile>>10)
	}
	return strings.TrimSpace(string(b)), nil
}

// pathReason drops the operation and path from an *fs.PathError (the caller names them).
func pathReason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
