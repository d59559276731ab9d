"""Chat exports and call transcripts: connectors that watch a folder of export files.

Slack workspace exports (`slack_export`), Microsoft Teams Graph chatMessage JSON
(`teams_export`), WhatsApp chat exports (`whatsapp_export`), call transcripts in WebVTT,
SRT, speech-to-text JSON or plain text (`call_transcripts`) and a generic JSONL/CSV import
(`chat_import`). Each file is read once it is complete; its messages join the customer's
threads (ingest.crosschannel) so every channel runs on the same clocks. `ingest` registers
the connectors; this package keeps no state and imports nothing on its own.
"""
