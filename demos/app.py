"""Launch the Real-IISR-lite demo in the browser: `python demos/app.py [--port 7860] [--host 127.0.0.1] [--model NAME=PATH ...] [--models-dir DIR]`.

A thin launcher: everything is in `realiisr_lite.app` (notebook `nbs/11_demo.ipynb`); `realiisr-lite demo` is the same."""
import argparse, sys
from realiisr_lite.app import DEMO_HELP, add_demo_arguments, run_demo_command


def main(argv=None) -> int:
    args = add_demo_arguments(argparse.ArgumentParser(description=DEMO_HELP)).parse_args(argv)
    try: run_demo_command(args)
    except KeyboardInterrupt: return 130
    except (RuntimeError, ValueError, OSError) as e:
        print(f"demo: error: {e}", file=sys.stderr); return 2
    return 0


if __name__ == '__main__': sys.exit(main())
