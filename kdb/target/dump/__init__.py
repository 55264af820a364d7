"""target/dump"""
