"""genunix"""
