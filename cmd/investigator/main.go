// Command investigator is an offline workbench for investigating AWS VPC Flow
// Logs: one DuckDB case file per investigation, versioned SQL analyses, and a
// browser workbench.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/investigator/investigator/cidrs"
	"github.com/investigator/investigator/internal/usererr"
	"github.com/investigator/investigator/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes.
const (
	exitOK     = 0
	exitFail   = 1 // the command failed, or some of its inputs did
	exitUsage  = 2 // bad flags or arguments
	exitLocked = 3 // the case is in use by another process
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// app is what every command needs: where to write, and the shared flags.
type app struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	casesDir       string
	homeDir        string
	wait           time.Duration
	debug          bool
	now            func() time.Time
	// terminal reports whether stderr is a terminal (progress bars).
	terminal bool
}

// usageError marks errors in how the command was called: exit status 2 and
// a pointer to --help.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitError carries a specific exit code with an already-printed outcome.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// run executes the command line and returns the exit code. Tests call it
// in-process with their own writers.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr, now: time.Now, wait: store.DefaultWait}
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("CI") == "" {
			a.terminal = true
		}
	}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "investigator:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "investigator:", friendly(err))
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "Run 'investigator --help' for usage.")
		return exitUsage
	case errors.Is(err, store.ErrLocked):
		return exitLocked
	}
	return exitFail
}

// friendly is an error's text for people.
func friendly(err error) string { return usererr.Message(err) }

// typeUsageErrors makes every error cobra finds in how a command was called
// a usageError: bad flags (through the flag error function, which
// subcommands inherit), bad arguments (each command's Args validator,
// wrapped), and unknown subcommands (a command group runs, refusing any
// argument, instead of cobra's untyped "unknown command").
func typeUsageErrors(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(c *cobra.Command, args []string) error {
				if len(args) > 0 {
					msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
					if s := c.SuggestionsFor(args[0]); len(s) > 0 {
						msg += "; did you mean " + strings.Join(s, " or ") + "?"
					}
					return usageError{errors.New(msg)}
				}
				return c.Help()
			}
		} else if validate := c.Args; validate != nil {
			c.Args = func(c *cobra.Command, args []string) error {
				if err := validate(c, args); err != nil {
					return usageError{err}
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "investigator",
		Short: "Investigate AWS VPC Flow Logs offline, one DuckDB case file per investigation",
		Long: `investigator pulls the flow logs of one investigation into a DuckDB case file and
analyses them offline.

A case is a file: $INVESTIGATOR_CASES/NAME.duckdb (default ./cases), or any path
ending in .duckdb. It opens read-only in the duckdb shell:
  duckdb -readonly cases/NAME.duckdb`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.log = newLogger(a.stderr, a.debug)
			a.casesDir = store.Dir(a.casesDir)
			return nil
		},
	}
	root.PersistentFlags().StringVar(&a.casesDir, "cases", "", "folder of case files (default $INVESTIGATOR_CASES or ./cases)")
	root.PersistentFlags().StringVar(&a.homeDir, "home", "", "folder for data kept between cases, e.g. provider ranges (default $INVESTIGATOR_HOME, $XDG_DATA_HOME/investigator or ~/.local/share/investigator)")
	root.PersistentFlags().DurationVar(&a.wait, "wait", store.DefaultWait, "how long to wait for a case another process is using")
	root.PersistentFlags().BoolVar(&a.debug, "debug", false, "log debug messages to stderr (or set INVESTIGATOR_LOG_LEVEL=debug)")
	root.AddCommand(a.caseCommand(), a.ingestCommand(), a.analyzeCommand(), a.analysesCommand(), a.runsCommand(), a.sqlCommand(), a.demoCommand(), a.versionCommand(), a.cidrsCommand(), a.asnCommand(), a.intelCommand(), a.enrichCommand(), a.serveCommand(),
		a.findingCommand(), a.noteCommand(), a.tagCommand(), a.timelineCommand(), a.reportCommand(), a.triageCommand())
	typeUsageErrors(root)
	return root
}

func newLogger(w io.Writer, debug bool) *slog.Logger {
	level := slog.LevelWarn
	if debug {
		level = slog.LevelDebug
	} else if v := os.Getenv("INVESTIGATOR_LOG_LEVEL"); v != "" {
		_ = level.UnmarshalText([]byte(v))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func (a *app) program() string { return "investigator " + version }

// home is the folder for data kept between cases: --home, else the default.
func (a *app) home() (cidrs.Home, error) {
	if a.homeDir != "" {
		return cidrs.Home{Dir: a.homeDir}, nil
	}
	return cidrs.DefaultHome()
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(a.stdout, a.program())
			return nil
		},
	}
}

// openCase resolves a case argument and opens it.
func (a *app) openCase(ctx context.Context, arg string, readOnly bool) (*store.Case, error) {
	path, err := store.Resolve(a.casesDir, arg)
	if err != nil {
		return nil, usageError{err}
	}
	c, err := store.Open(ctx, path, store.Options{ReadOnly: readOnly, Wait: a.wait})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no case %q (%s); create it with: investigator case new %s", arg, path, arg)
	}
	return c, err
}
