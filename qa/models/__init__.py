"""Models: the embedder and the extractive reader, their tokenizer, runtimes (torch, int8 ONNX) and calibration."""
