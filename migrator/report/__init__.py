"""What the assistant tells: the report model, its masking, and the views every face renders."""
