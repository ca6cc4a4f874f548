/**
 * The paths an agent could use to loosen its own leash if it could write them: the agents'
 * settings and hook files, Warden's own, a repository's hooks and config (run by the host's git
 * later) and the shell rc files (run by the host's shells later). They stay read-only inside
 * every sandbox, even in the writable workspace.
 */

/** Agent settings and hook files that stay read-only even inside the workspace. */
export const PROTECTED_DIRS = [".claude", ".cursor", ".codex", ".gemini", ".warden", ".git/hooks"];
/** Files a shell or direnv runs later, outside the sandbox: written, they would loosen the leash. */
export const SHELL_RC_FILES = [
  ".bashrc",
  ".bash_profile",
  ".bash_login",
  ".bash_logout",
  ".profile",
  ".zshrc",
  ".zshenv",
  ".zprofile",
  ".zlogin",
  ".envrc",
];
export const PROTECTED_FILES = [".mcp.json", ".git/config", ...SHELL_RC_FILES];

const PROTECTED_NAMES = new Set([
  ...PROTECTED_DIRS.filter((p) => !p.includes("/")),
  ...PROTECTED_FILES.filter((p) => !p.includes("/")),
]);

/** A repository's own directory: `.git`, or a submodule's under `.git/modules/` (nested too). */
const GIT_DIR = /\/\.git(\/modules\/[^/]+)*$/;

/** Whether a path, at any depth, is one of them: `.claude`, `.bashrc`, `x/.git/hooks`… */
export function isProtectedName(path: string): boolean {
  const slash = path.lastIndexOf("/");
  const name = path.slice(slash + 1);
  if (PROTECTED_NAMES.has(name)) return true;
  return (name === "hooks" || name === "config") && GIT_DIR.test(path.slice(0, slash));
}
