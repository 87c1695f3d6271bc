"Worker for test_train.py: trains the micro configuration under torchrun and writes this rank's weights."
import sys
from pathlib import Path
import torch
from realiisr_lite.core import seed_everything
from realiisr_lite.inference import RealIISR
from realiisr_lite.train import fit, micro_config, micro_data, setup_distributed

out = Path(sys.argv[1])
torch.set_num_threads(1)
rank, world, _ = setup_distributed()
seed_everything(0)
model = RealIISR(micro_config())
train_ds, _ = micro_data()
fit(model, train_ds, None, None, steps=4, progress=False, device='cpu')
torch.save({k: v for k, v in model.state_dict().items()}, out/f'rank{rank}.pt')
import torch.distributed as dist
dist.barrier(); dist.destroy_process_group()
