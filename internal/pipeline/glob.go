package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// hasMeta reports whether s holds a glob metacharacter.
func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// globRoot returns the longest directory prefix of pattern without
// metacharacters: the place to start walking.
func globRoot(pattern string) string {
	parts := strings.Split(pattern, "/")
	i := 0
	for i < len(parts)-1 && !hasMeta(parts[i]) {
		i++
	}
	root := strings.Join(parts[:i], "/")
	if root == "" && strings.HasPrefix(pattern, "/") {
		return "/"
	}
	if root == "" {
		return "."
	}
	return root
}

// matchGlob matches a slash-separated path against a pattern where "**" as
// a whole segment matches zero or more directories and other segments use
// filepath.Match syntax.
func matchGlob(pattern, path string) bool {
	return matchSegs(strings.Split(pattern, "/"), strings.Split(path, "/"))
}

func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for i := 0; i <= len(segs); i++ {
				if matchSegs(rest, segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, err := filepath.Match(pat[0], segs[0]); err != nil || !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// expandGlob lists the regular files matching pattern. Directories that
// cannot be read are reported to denied (once per call) and skipped.
func expandGlob(pattern string, denied func(path string, err error)) []string {
	if !hasMeta(pattern) {
		if fi, err := os.Stat(pattern); err == nil && fi.Mode().IsRegular() {
			return []string{pattern}
		} else if err != nil && errors.Is(err, fs.ErrPermission) {
			denied(pattern, err)
		}
		return nil
	}
	if !strings.Contains(pattern, "**") {
		dir := filepath.Dir(pattern)
		if _, err := os.ReadDir(dir); err != nil && errors.Is(err, fs.ErrPermission) {
			denied(dir, err)
			return nil
		}
		matches, _ := filepath.Glob(pattern)
		out := matches[:0]
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() {
				out = append(out, m)
			}
		}
		return out
	}
	root := globRoot(pattern)
	var out []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				denied(p, err)
			}
			if d != nil && d.IsDir() && p != root {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0 {
			if matchGlob(pattern, p) {
				if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
					out = append(out, p)
				}
			}
		}
		return nil
	})
	return out
}
